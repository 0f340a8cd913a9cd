import type { Kysely } from 'kysely';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { isZeroId, parseObjectId, type ObjectId } from '../git/object-id.js';
import { conflict, invalid, isMegaError, MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { validateRefName } from './names.js';
import { batchConflict, existingRefConflict, lockRefCreation, RefNamespace } from './ref-conflicts.js';
import { insertIgnore } from './insert-ignore.js';
import { nowTimestamp } from './sql-batches.js';
import { storedId } from './stored-id.js';
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
      .map((row) => ({ name: row.ref_name, target: storedId(row.ref_git_id) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(repoId: number, name: string): Promise<ObjectId | undefined> {
    const row = await this.db
      .selectFrom('refs')
      .select('ref_git_id')
      .where('repo_id', '=', repoId)
      .where('ref_name', '=', name)
      .executeTakeFirst();
    return row && storedId(row.ref_git_id);
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
    const creating = checked.filter(mayCreate).map((update) => update.name);
    const within = batchConflict(creating);
    if (within) throw within;
    const deleting = new Set(checked.filter((update) => isZeroId(update.newId)).map((update) => update.name));
    // A fixed order keeps two multi-ref transactions from taking row locks in opposite orders.
    checked.sort(byName);
    await this.inTransaction(async (trx) => {
      const names = await this.namespace(trx, repoId, creating);
      for (const name of creating) {
        const clash = names.clashFor(name, deleting);
        if (clash !== undefined) throw existingRefConflict(name, clash);
      }
      for (const update of checked) await this.apply(trx, repoId, update);
    });
  }

  /**
   * Applies each update on its own and reports per ref (git's non-atomic push), in one
   * transaction that reads the ref names once. Updates are applied in name order, so of `a` and
   * `a/b` pushed together, `a` is created and `a/b` refused.
   */
  async updateEach(repoId: number, updates: readonly RefUpdate[]): Promise<RefUpdateOutcome[]> {
    const errors = new Map<RefUpdate, MegaError>();
    const valid: RefUpdate[] = [];
    const seen = new Set<string>();
    for (const update of updates) {
      try {
        const checked = checkUpdate(update);
        if (seen.has(checked.name))
          throw invalid('duplicate_ref_update', 'a ref appears twice in one update');
        seen.add(checked.name);
        valid.push(checked);
      } catch (error) {
        if (!isMegaError(error)) throw error;
        errors.set(update, error);
      }
    }
    const ordered = valid
      .map((update, index) => ({ update, index }))
      .sort((a, b) => byName(a.update, b.update));
    const failed = new Map<number, MegaError>();
    try {
      await this.inTransaction(async (trx) => {
        const names = await this.namespace(
          trx,
          repoId,
          valid.filter(mayCreate).map((update) => update.name),
        );
        for (const { update, index } of ordered) {
          try {
            const clash = mayCreate(update) ? names.clashFor(update.name) : undefined;
            if (clash !== undefined) throw existingRefConflict(update.name, clash);
            await this.apply(trx, repoId, update);
            if (mayCreate(update)) names.created(update.name);
          } catch (error) {
            if (!isMegaError(error)) throw error;
            failed.set(index, error);
          }
        }
      });
    } catch (error) {
      // The transaction itself failed (a deadlock, say): nothing was applied.
      if (!isMegaError(error)) throw error;
      for (let index = 0; index < valid.length; index++) if (!failed.has(index)) failed.set(index, error);
    }
    const byUpdate = new Map(valid.map((update, index) => [update.name, failed.get(index)]));
    return updates.map((update) => {
      const error = errors.get(update) ?? byUpdate.get(update.name);
      return error ? { name: update.name, error } : { name: update.name };
    });
  }

  /**
   * The ref names new ones must not clash with, read under the repository's creation lock. The
   * lock comes first, before any ref row lock, so lock order is always repository → refs.
   */
  private async namespace(
    trx: Kysely<Database>,
    repoId: number,
    creating: readonly string[],
  ): Promise<RefNamespace> {
    if (creating.length > 0) await lockRefCreation(trx, this.capabilities, repoId);
    return RefNamespace.load(trx, repoId, creating);
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
    if (isZeroId(newId)) {
      let query = trx.deleteFrom('refs').where('repo_id', '=', repoId).where('ref_name', '=', name);
      if (oldId !== undefined) query = query.where('ref_git_id', '=', oldId);
      const result = await query.executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw lostRace(name, oldId);
      return;
    }
    if (oldId !== undefined && isZeroId(oldId)) {
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

/** Whether an update may create its ref (a forced one creates it when absent). */
function mayCreate(update: RefUpdate): boolean {
  return !isZeroId(update.newId) && (update.oldId === undefined || isZeroId(update.oldId));
}

function byName(a: RefUpdate, b: RefUpdate): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
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
