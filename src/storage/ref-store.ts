import type { Kysely } from 'kysely';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { parseObjectId, type ObjectId } from '../git/object-id.js';
import { conflict, invalid, isMegaError, MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { validateRefName } from './names.js';
import { batchConflict, checkRefAvailable, lockRefCreation } from './ref-conflicts.js';
import { insertIgnore } from './insert-ignore.js';
import { nowTimestamp } from './sql-batches.js';
import { inTransaction } from './transaction.js';

export interface StoredRef {
  readonly name: string;
  readonly target: ObjectId;
}

/**
 * One compare-and-swap update. `oldId` is what the caller saw: the zero id means "must not exist",
 * undefined means "any value" (a forced update). `newId` zero deletes the ref.
 */
export interface RefUpdate {
  readonly name: string;
  readonly oldId?: string;
  readonly newId: string;
}

export interface RefUpdateOutcome {
  readonly name: string;
  /** Undefined when applied; the typed error otherwise (kind `conflict` for a lost race). */
  readonly error?: MegaError;
}

const ZERO = /^0+$/;

function lostRace(name: string, expected: string | undefined): MegaError {
  return conflict('ref_conflict', 'ref changed since it was read', { ref: name, expected: expected ?? null });
}

/**
 * Refs with compare-and-swap semantics on every database: each update is one conditional
 * statement (UPDATE/DELETE … WHERE ref_git_id = old, or INSERT relying on the unique key), and
 * the affected-row count says who won. Two racing updates of one ref: the row lock serializes
 * them, the second finds the old value gone and gets `conflict`/`ref_conflict`.
 */
export class RefStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** Refs of a repository sorted by name, optionally only those under `prefix` (e.g. `refs/tags/`). */
  async list(repoId: number, prefix?: string): Promise<StoredRef[]> {
    const rows = await this.db
      .selectFrom('refs')
      .select(['ref_name', 'ref_git_id'])
      .where('repo_id', '=', repoId)
      .execute();
    // Filtered and sorted here: LIKE escaping and text collations (sort order) differ per database;
    // git wants byte order.
    return rows
      .filter((row) => prefix === undefined || row.ref_name.startsWith(prefix))
      .map((row) => ({ name: row.ref_name, target: row.ref_git_id as ObjectId }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(repoId: number, name: string): Promise<ObjectId | undefined> {
    const row = await this.db
      .selectFrom('refs')
      .select('ref_git_id')
      .where('repo_id', '=', repoId)
      .where('ref_name', '=', name)
      .executeTakeFirst();
    return row?.ref_git_id as ObjectId | undefined;
  }

  /**
   * Applies every update or none (git's `atomic` push). Throws the first failure: `conflict`
   * (`ref_conflict`) when a ref moved, `conflict` (`ref_name_conflict`) when a new ref and another
   * would be file and folder of each other (`refs/heads/a` and `refs/heads/a/b`), `invalid` for a
   * bad name or id. Never fails a statement on purpose, so it can run inside a caller's
   * transaction and leave it usable after a refusal.
   */
  async updateAtomic(repoId: number, updates: readonly RefUpdate[]): Promise<void> {
    const checked = updates.map(checkUpdate);
    if (new Set(checked.map((update) => update.name)).size !== checked.length) {
      throw invalid('duplicate_ref_update', 'a ref appears twice in one update');
    }
    // Updates that may create a ref (a forced one creates it when absent).
    const creating = checked.filter(
      (update) => !ZERO.test(update.newId) && !(update.oldId && !ZERO.test(update.oldId)),
    );
    const within = batchConflict(creating.map((update) => update.name));
    if (within) throw within;
    const deleting = new Set(
      checked.filter((update) => ZERO.test(update.newId)).map((update) => update.name),
    );
    // A fixed order keeps two multi-ref transactions from taking row locks in opposite orders.
    checked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    await this.inTransaction(async (trx) => {
      // The lock comes first, before any ref row lock, so lock order is always repository → refs.
      if (creating.length > 0) await lockRefCreation(trx, this.capabilities, repoId);
      for (const update of creating) await checkRefAvailable(trx, repoId, update.name, deleting);
      for (const update of checked) await this.apply(trx, repoId, update);
    });
  }

  /** Applies each update on its own; reports per ref (git's non-atomic push). */
  async updateEach(repoId: number, updates: readonly RefUpdate[]): Promise<RefUpdateOutcome[]> {
    const outcomes: RefUpdateOutcome[] = [];
    for (const update of updates) {
      try {
        await this.updateAtomic(repoId, [update]);
        outcomes.push({ name: update.name });
      } catch (error) {
        if (!isMegaError(error)) throw error;
        outcomes.push({ name: update.name, error });
      }
    }
    return outcomes;
  }

  /** Runs `work` in a transaction, turning lock-conflict aborts (deadlock, busy) into `conflict`. */
  private async inTransaction(work: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
    try {
      await inTransaction(this.db, work);
    } catch (error) {
      if (this.capabilities.isRetryableConflict(error)) {
        throw new MegaError(
          'conflict',
          'ref_conflict',
          'concurrent ref update, try again',
          {},
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async apply(trx: Kysely<Database>, repoId: number, update: RefUpdate): Promise<void> {
    const { name, oldId, newId } = update;
    const now = nowTimestamp();
    if (ZERO.test(newId)) {
      let query = trx.deleteFrom('refs').where('repo_id', '=', repoId).where('ref_name', '=', name);
      if (oldId !== undefined) query = query.where('ref_git_id', '=', oldId);
      const result = await query.executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw lostRace(name, oldId);
      return;
    }
    if (oldId !== undefined && ZERO.test(oldId)) {
      await this.insert(trx, repoId, name, newId, now);
      return;
    }
    if (oldId === undefined) {
      const updated = await trx
        .updateTable('refs')
        .set({ ref_git_id: newId, updated_at: now })
        .where('repo_id', '=', repoId)
        .where('ref_name', '=', name)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await this.insert(trx, repoId, name, newId, now);
      return;
    }
    // The WHERE on the old value is the compare; the row lock makes it atomic with the swap.
    // Setting updated_at always changes the row, so MySQL's "changed rows" count is reliable.
    const result = await trx
      .updateTable('refs')
      .set({ ref_git_id: newId, updated_at: now })
      .where('repo_id', '=', repoId)
      .where('ref_name', '=', name)
      .where('ref_git_id', '=', oldId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw lostRace(name, oldId);
  }

  private async insert(
    trx: Kysely<Database>,
    repoId: number,
    name: string,
    newId: string,
    now: string,
  ): Promise<void> {
    // Insert-unless-present instead of catching a unique violation: a failed statement would
    // abort a caller's PostgreSQL transaction (a repository created by its first push).
    const result = await insertIgnore(
      trx
        .insertInto('refs')
        .values({ repo_id: repoId, ref_name: name, ref_git_id: newId, created_at: now, updated_at: now }),
      this.capabilities,
    ).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw lostRace(name, undefined);
  }
}

function checkUpdate(update: RefUpdate): RefUpdate {
  validateRefName(update.name);
  const newId = parseObjectId(update.newId, formatOf(update.newId));
  const oldId = update.oldId === undefined ? undefined : parseObjectId(update.oldId, formatOf(update.oldId));
  return { name: update.name, oldId, newId };
}

function formatOf(id: string): ObjectFormat {
  return id.length === SHA256.hexLength ? SHA256 : SHA1;
}
