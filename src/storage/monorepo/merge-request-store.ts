import type { Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { storedId } from '../stored-id.js';
import { inTransaction } from '../transaction.js';

export type MergeRequestStatus = 'open' | 'merging' | 'merged' | 'closed';

/** One repository a merge request changes: its branch head when proposed, and the proposed commit. */
export interface MergeRequestChangeRecord {
  readonly repoPath: string;
  readonly baseCommit: ObjectId;
  readonly headCommit: ObjectId;
  readonly mergedCommit?: ObjectId;
}

export interface MergeRequestEventRecord {
  readonly action: string;
  readonly actor: string;
  readonly detail?: string;
  readonly at: string;
}

/** Whether a merge request merges cleanly into its targets, as last computed. */
export interface Mergeability {
  /** `unknown` until computed (or while a target moved since). */
  readonly state: 'unknown' | 'clean' | 'conflict';
  readonly conflicts: ReadonlyArray<{ readonly repository: string; readonly path: string }>;
  /** The target head of each touched repository it was computed against. */
  readonly targets: Readonly<Record<string, string>>;
  readonly checkedAt?: string;
}

export interface MergeRequestRecord {
  readonly number: number;
  readonly title: string;
  readonly description: string;
  /** The branch merged into (`-o mr.target=…`); undefined = each repository's default branch. */
  readonly targetBranch: string | undefined;
  readonly mergeability: Mergeability;
  readonly status: MergeRequestStatus;
  /** The path that was pushed to (a directory view or a repository). */
  readonly viewPath: string;
  readonly refName: string | undefined;
  /** The commit the client pushed. */
  readonly pushedCommit: string;
  /** The view commit the push was based on. */
  readonly baseViewCommit: string | undefined;
  readonly author: string;
  readonly authorId: number | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly changes: readonly MergeRequestChangeRecord[];
}

export interface NewMergeRequest {
  readonly title: string;
  readonly description?: string;
  readonly targetBranch?: string;
  readonly viewPath: string;
  readonly refName: string;
  readonly pushedCommit: string;
  readonly baseViewCommit: string;
  readonly author: string;
  readonly authorId: number;
  readonly changes: readonly MergeRequestChangeRecord[];
}

/** A new change for an open merge request: new commits on it, or (`force_updated`) a replaced one. */
export interface MergeRequestUpdate extends Omit<NewMergeRequest, 'title' | 'description'> {
  /** Set only when the push gave one (`-o mr.title`) or the change was replaced. */
  readonly title?: string;
  readonly description?: string;
  /** The timeline entry: `updated` (detail: the new commits) or `force_updated` (old head, dropped commits). */
  readonly event: { readonly action: 'updated' | 'force_updated'; readonly detail: string };
}

/** An open merge request as push matching sees it. */
export interface OpenMergeRequest {
  readonly number: number;
  readonly refName: string | undefined;
  readonly pushedCommit: ObjectId;
}

/** A merged merge request's pushed commit and the view commit it was based on. */
export interface MergedPush {
  readonly number: number;
  readonly pushedCommit: ObjectId;
  readonly baseViewCommit: ObjectId;
}

/** Open merge requests of one user on one path considered when matching a push (newest first). */
export const MAX_OPEN_MATCHED = 100;

export interface MergeRequestQuery {
  readonly status?: MergeRequestStatus;
  /** Merge requests that touch this repository or were pushed to this path. */
  readonly path?: string;
  readonly author?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Longest title stored (the seed's `mr_msg` is varchar(255)). */
export const MAX_TITLE_LENGTH = 255;
const CREATE_ATTEMPTS = 5;

/** The seed's `merge_request` table plus the per-repository changes and the event log of 0004. */
export class MergeRequestStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** Opens a merge request with the next number; records the `opened` event. */
  async create(request: NewMergeRequest): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.db, async (trx) => {
          const max = await trx
            .selectFrom('merge_request')
            .select((eb) => eb.fn.max<number>('mr_id').as('max'))
            .executeTakeFirst();
          const number = Number(max?.max ?? 0) + 1;
          const now = new Date().toISOString();
          await trx
            .insertInto('merge_request')
            .values({
              mr_id: number,
              mr_msg: request.title.slice(0, MAX_TITLE_LENGTH),
              description: request.description ?? null,
              target_branch: request.targetBranch ?? null,
              mergeable: 'unknown',
              commit_id: request.pushedCommit,
              mr_date: now,
              status: 'open',
              repo_path: request.viewPath,
              source_commit: request.pushedCommit,
              target_commit: request.baseViewCommit,
              author: request.author,
              ref_name: request.refName,
              author_id: request.authorId,
              created_at: now,
              updated_at: now,
            })
            .execute();
          for (const change of request.changes) {
            await trx
              .insertInto('merge_request_change')
              .values({
                mr_id: number,
                repo_path: change.repoPath,
                base_commit: change.baseCommit,
                head_commit: change.headCommit,
                merged_commit: null,
              })
              .execute();
          }
          await insertEvent(
            trx,
            number,
            { action: 'opened', actor: request.author, detail: request.pushedCommit },
            now,
          );
          return number;
        });
      } catch (error) {
        if (attempt >= CREATE_ATTEMPTS || !this.capabilities.isUniqueViolation(error)) throw error;
      }
    }
  }

  /**
   * Sets the proposal of an open merge request after a new push (compare-and-swap on its pushed
   * commit, `expectedHead`, so two racing pushes cannot both build on the same head) and records
   * the given timeline entry. False when it is no longer open or moved meanwhile.
   */
  async update(number: number, expectedHead: ObjectId, request: MergeRequestUpdate): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const now = new Date().toISOString();
      const result = await trx
        .updateTable('merge_request')
        .set({
          ...(request.title !== undefined ? { mr_msg: request.title.slice(0, MAX_TITLE_LENGTH) } : {}),
          ...(request.description !== undefined ? { description: request.description } : {}),
          ...(request.targetBranch !== undefined ? { target_branch: request.targetBranch } : {}),
          mergeable: 'unknown',
          mergeable_detail: null,
          commit_id: request.pushedCommit,
          source_commit: request.pushedCommit,
          target_commit: request.baseViewCommit,
          ref_name: request.refName,
          updated_at: now,
        })
        .where('mr_id', '=', number)
        .where('status', '=', 'open')
        .where('commit_id', '=', expectedHead)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('merge_request_change').where('mr_id', '=', number).execute();
      for (const change of request.changes) {
        await trx
          .insertInto('merge_request_change')
          .values({
            mr_id: number,
            repo_path: change.repoPath,
            base_commit: change.baseCommit,
            head_commit: change.headCommit,
          })
          .execute();
      }
      await insertEvent(
        trx,
        number,
        { action: request.event.action, actor: request.author, detail: request.event.detail },
        now,
      );
      return true;
    });
  }

  /** A user's open merge requests pushed to a path, newest first (at most `MAX_OPEN_MATCHED`). */
  async openOf(viewPath: string, authorId: number): Promise<OpenMergeRequest[]> {
    const rows = await this.db
      .selectFrom('merge_request')
      .select(['mr_id', 'ref_name', 'commit_id'])
      .where('repo_path', '=', viewPath)
      .where('author_id', '=', authorId)
      .where('status', '=', 'open')
      .orderBy('mr_id', 'desc')
      .limit(MAX_OPEN_MATCHED)
      .execute();
    return rows.map((row) => ({
      number: Number(row.mr_id),
      refName: row.ref_name ?? undefined,
      pushedCommit: storedId(row.commit_id),
    }));
  }

  /** The open merge request a user's earlier push of the same branch to the same path opened. */
  async findOpen(viewPath: string, refName: string, authorId: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('merge_request')
      .select('mr_id')
      .where('repo_path', '=', viewPath)
      .where('ref_name', '=', refName)
      .where('author_id', '=', authorId)
      .where('status', '=', 'open')
      .orderBy('mr_id', 'desc')
      .executeTakeFirst();
    return row ? Number(row.mr_id) : undefined;
  }

  /**
   * The newest merged merge requests pushed to `viewPath` (at most `limit`), with their pushed
   * commits and the view commits they were based on: the view's next step descends from those
   * it does not contain yet (see `src/monorepo/synthetic-commit.ts`).
   */
  async mergedPushes(viewPath: string, limit: number): Promise<MergedPush[]> {
    const rows = await this.db
      .selectFrom('merge_request')
      .select(['mr_id', 'commit_id', 'target_commit'])
      .where('repo_path', '=', viewPath)
      .where('status', '=', 'merged')
      .orderBy('mr_id', 'desc')
      .limit(limit)
      .execute();
    return rows.flatMap((row) =>
      row.target_commit
        ? [
            {
              number: Number(row.mr_id),
              pushedCommit: storedId(row.commit_id),
              baseViewCommit: storedId(row.target_commit),
            },
          ]
        : [],
    );
  }

  async get(number: number): Promise<MergeRequestRecord | undefined> {
    const row = await this.db
      .selectFrom('merge_request')
      .selectAll()
      .where('mr_id', '=', number)
      .executeTakeFirst();
    if (!row) return undefined;
    const changes = await this.db
      .selectFrom('merge_request_change')
      .selectAll()
      .where('mr_id', '=', number)
      .orderBy('repo_path')
      .execute();
    return {
      number: Number(row.mr_id),
      title: row.mr_msg,
      description: row.description ?? '',
      targetBranch: row.target_branch ?? undefined,
      mergeability: mergeabilityOf(row.mergeable, row.mergeable_detail, row.mergeable_at),
      status: row.status as MergeRequestStatus,
      viewPath: row.repo_path,
      refName: row.ref_name ?? undefined,
      pushedCommit: row.commit_id,
      baseViewCommit: row.target_commit ?? undefined,
      author: row.author ?? '',
      authorId: row.author_id === null ? undefined : Number(row.author_id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      changes: changes.map((change) => ({
        repoPath: change.repo_path,
        baseCommit: storedId(change.base_commit),
        headCommit: storedId(change.head_commit),
        ...(change.merged_commit ? { mergedCommit: storedId(change.merged_commit) } : {}),
      })),
    };
  }

  async list(query: MergeRequestQuery): Promise<MergeRequestRecord[]> {
    let select = this.db.selectFrom('merge_request').select('mr_id');
    if (query.status) select = select.where('status', '=', query.status);
    if (query.author) select = select.where('author', '=', query.author);
    if (query.path) {
      const path = query.path;
      select = select.where((eb) =>
        eb.or([
          eb('repo_path', '=', path),
          eb(
            'mr_id',
            'in',
            eb
              .selectFrom('merge_request_change')
              .select('merge_request_change.mr_id')
              .where('merge_request_change.repo_path', '=', path),
          ),
        ]),
      );
    }
    const rows = await select.orderBy('mr_id', 'desc').limit(query.limit).offset(query.offset).execute();
    const out: MergeRequestRecord[] = [];
    for (const row of rows) {
      const record = await this.get(Number(row.mr_id));
      if (record) out.push(record);
    }
    return out;
  }

  /** Records a computed mergeability (and when); the next push or target move recomputes it. */
  async setMergeability(number: number, mergeability: Mergeability): Promise<void> {
    await this.db
      .updateTable('merge_request')
      .set({
        mergeable: mergeability.state,
        mergeable_detail: JSON.stringify({
          conflicts: mergeability.conflicts,
          targets: mergeability.targets,
        }),
        mergeable_at: mergeability.checkedAt ?? new Date().toISOString(),
      })
      .where('mr_id', '=', number)
      .execute();
  }

  /**
   * Moves an open merge request's proposals onto new bases ("update from the target"): each
   * change's base and head are replaced if its head is still `oldHead` (compare-and-swap), the
   * event is recorded and mergeability reset, all in one transaction; false (nothing changed)
   * when the request is not open or a proposal moved meanwhile.
   */
  async rebaseChanges(
    number: number,
    changes: ReadonlyArray<{ repoPath: string; oldHead: string; baseCommit: string; headCommit: string }>,
    event: { action: string; actor: string; detail?: string },
  ): Promise<boolean> {
    const moved = await inTransaction(this.db, async (trx) => {
      const now = new Date().toISOString();
      const open = await trx
        .updateTable('merge_request')
        .set({ updated_at: now, mergeable: 'unknown', mergeable_detail: null })
        .where('mr_id', '=', number)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(open.numUpdatedRows) === 0) throw new RebaseRefused();
      for (const change of changes) {
        const result = await trx
          .updateTable('merge_request_change')
          .set({ base_commit: change.baseCommit, head_commit: change.headCommit })
          .where('mr_id', '=', number)
          .where('repo_path', '=', change.repoPath)
          .where('head_commit', '=', change.oldHead)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new RebaseRefused();
      }
      await insertEvent(
        trx,
        number,
        { action: event.action, actor: event.actor, detail: event.detail ?? null },
        now,
      );
      return true;
    }).catch((error: unknown) => {
      if (error instanceof RebaseRefused) return false;
      throw error;
    });
    return moved;
  }

  /** Appends one timeline entry (a comment, an approval, a force-update…) to a merge request. */
  async recordEvent(
    number: number,
    event: { action: string; actor: string; detail?: string },
  ): Promise<void> {
    await insertEvent(
      this.db,
      number,
      { action: event.action, actor: event.actor, detail: event.detail ?? null },
      new Date().toISOString(),
    );
  }

  async events(number: number): Promise<MergeRequestEventRecord[]> {
    const rows = await this.db
      .selectFrom('merge_request_event')
      .selectAll()
      .where('mr_id', '=', number)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      action: row.action,
      actor: row.actor,
      at: row.created_at,
      ...(row.detail ? { detail: row.detail } : {}),
    }));
  }

  /**
   * Claims an open merge request for merging (status `merging`). A claim older than `staleBefore`
   * (ISO time) is taken over: its server died between claim and commit, and nothing of that
   * attempt was committed (the merge itself is one transaction).
   */
  async claimForMerge(number: number, staleBefore: string): Promise<boolean> {
    const result = await this.db
      .updateTable('merge_request')
      .set({ status: 'merging', updated_at: new Date().toISOString() })
      .where('mr_id', '=', number)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'open'),
          eb.and([eb('status', '=', 'merging'), eb('updated_at', '<', staleBefore)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Moves a merge request from one status to another (compare-and-swap on the status), records
   * the event; false when it was not in `from` any more (someone else acted first).
   */
  async transition(
    number: number,
    from: MergeRequestStatus,
    to: MergeRequestStatus,
    event: { action: string; actor: string; detail?: string },
    mergedCommits?: ReadonlyMap<string, string>,
  ): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const now = new Date().toISOString();
      const result = await trx
        .updateTable('merge_request')
        .set({ status: to, updated_at: now })
        .where('mr_id', '=', number)
        .where('status', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      for (const [repoPath, commit] of mergedCommits ?? []) {
        await trx
          .updateTable('merge_request_change')
          .set({ merged_commit: commit })
          .where('mr_id', '=', number)
          .where('repo_path', '=', repoPath)
          .execute();
      }
      if (event.action !== '') {
        await insertEvent(
          trx,
          number,
          { action: event.action, actor: event.actor, detail: event.detail ?? null },
          now,
        );
      }
      return true;
    });
  }
}

function mergeabilityOf(state: string | null, detail: string | null, at: string | null): Mergeability {
  const known = state === 'clean' || state === 'conflict' ? state : 'unknown';
  let parsed: Partial<Pick<Mergeability, 'conflicts' | 'targets'>> = {};
  try {
    parsed = detail ? (JSON.parse(detail) as typeof parsed) : {};
  } catch {
    parsed = {};
  }
  return {
    state: known,
    conflicts: parsed.conflicts ?? [],
    targets: parsed.targets ?? {},
    ...(at ? { checkedAt: at } : {}),
  };
}

/** Rolls `rebaseChanges` back when the request is not open or a proposal moved meanwhile. */
class RebaseRefused extends Error {}

/** Appends one timeline entry (`merge_request_event`) of merge request `number`. */
async function insertEvent(
  db: Kysely<Database>,
  number: number,
  event: { action: string; actor: string; detail: string | null | undefined },
  at: string,
): Promise<void> {
  await db
    .insertInto('merge_request_event')
    .values({
      mr_id: number,
      action: event.action,
      actor: event.actor,
      detail: event.detail ?? null,
      created_at: at,
    })
    .execute();
}
