import type { Kysely, Selectable } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { storedId } from '../stored-id.js';
import { insertReturningId } from '../sync/insert-id.js';
import { inTransaction } from '../transaction.js';
import type { MrCommentsTable } from './schema.js';

/** Where a line comment points: a line of one side of one file of one repository's diff. */
export interface CommentPosition {
  readonly repoPath: string;
  /** The file, relative to the repository's root. */
  readonly path: string;
  readonly side: 'old' | 'new';
  /** 1-based line on that side. */
  readonly line: number;
  /** The merge request's head commit of `repoPath` when the comment was made. */
  readonly commitId: ObjectId;
}

export interface CommentRecord {
  readonly id: number;
  readonly mrNumber: number;
  /** The thread's first comment; undefined for a comment that starts a thread. */
  readonly threadId: number | undefined;
  readonly position: CommentPosition | undefined;
  /** Empty for a deleted comment kept as a tombstone (a thread root with replies). */
  readonly body: string;
  readonly author: string;
  readonly authorId: number | undefined;
  /** Meaningful on a thread's first comment only. */
  readonly resolved: boolean;
  readonly resolvedBy: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewComment {
  readonly mrNumber: number;
  readonly threadId?: number;
  readonly position?: CommentPosition;
  readonly body: string;
  readonly author: string;
  readonly authorId?: number;
}

/** One row of a merge request's timeline (`merge_request_event`), with its id for ordering. */
export interface TimelineEventRecord {
  readonly id: number;
  readonly action: string;
  readonly actor: string;
  readonly detail: string | undefined;
  readonly at: string;
}

/**
 * Discussions on merge requests (`mr_comments`): threads on the request and on diff lines. A
 * thread is its first comment (`thread_id` null) and the replies naming it; the first comment
 * carries the thread's resolved flag. An empty body marks a deleted comment kept as a tombstone
 * (new comments never have one: the service refuses empty bodies).
 */
export class CommentStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async add(comment: NewComment): Promise<CommentRecord> {
    const now = new Date().toISOString();
    const position = comment.position;
    const id = await insertReturningId(
      this.db.insertInto('mr_comments').values({
        mr_id: comment.mrNumber,
        thread_id: comment.threadId ?? null,
        repo_path: position?.repoPath ?? null,
        file_path: position?.path ?? null,
        side: position?.side ?? null,
        line: position?.line ?? null,
        commit_id: position?.commitId ?? null,
        body: comment.body,
        author: comment.author,
        author_id: comment.authorId ?? null,
        resolved: 0,
        resolved_by: null,
        created_at: now,
        updated_at: now,
      }),
      this.capabilities,
    );
    return {
      id,
      mrNumber: comment.mrNumber,
      threadId: comment.threadId,
      position,
      body: comment.body,
      author: comment.author,
      authorId: comment.authorId,
      resolved: false,
      resolvedBy: undefined,
      createdAt: now,
      updatedAt: now,
    };
  }

  async get(id: number): Promise<CommentRecord | undefined> {
    const row = await this.db.selectFrom('mr_comments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? recordOf(row) : undefined;
  }

  /** Every comment of a merge request in the order they were made: one query. */
  async listFor(mrNumber: number): Promise<CommentRecord[]> {
    const rows = await this.db
      .selectFrom('mr_comments')
      .selectAll()
      .where('mr_id', '=', mrNumber)
      .orderBy('id')
      .execute();
    return rows.map(recordOf);
  }

  /** The comments with these ids (one query; ids of other requests are the caller's to filter). */
  async getMany(ids: readonly number[]): Promise<CommentRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('mr_comments')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return rows.map(recordOf);
  }

  /**
   * Sets a thread's resolved flag (on its first comment); false when it already had that value
   * (compare-and-swap: of two people resolving at once, one changes it).
   */
  async setResolved(threadId: number, resolved: boolean, by: string): Promise<boolean> {
    const result = await this.db
      .updateTable('mr_comments')
      // updated_at is the body's: resolving is not an edit (the timeline records who and when).
      .set({ resolved: resolved ? 1 : 0, resolved_by: resolved ? by : null })
      .where('id', '=', threadId)
      .where('thread_id', 'is', null)
      .where('resolved', '=', resolved ? 0 : 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async setBody(id: number, body: string): Promise<void> {
    await this.db
      .updateTable('mr_comments')
      .set({ body, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** Whether a thread has replies (a deleted first comment with none is no thread any more). */
  async hasReplies(threadId: number): Promise<boolean> {
    const reply = await this.db
      .selectFrom('mr_comments')
      .select('id')
      .where('thread_id', '=', threadId)
      .limit(1)
      .executeTakeFirst();
    return reply !== undefined;
  }

  /**
   * Deletes a comment. A reply's row goes. A thread's first comment stays as a tombstone (empty
   * body) whatever happens: a reply racing with the delete then always finds its thread, never
   * an orphan. Returns `tombstone` when the thread has replies (it is shown as deleted), else
   * `removed` (a tombstone without replies is shown nowhere).
   */
  async delete(id: number): Promise<'removed' | 'tombstone'> {
    return inTransaction(this.db, async (trx) => {
      const row = await trx
        .selectFrom('mr_comments')
        .select('thread_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return 'removed';
      if (row.thread_id !== null) {
        await trx.deleteFrom('mr_comments').where('id', '=', id).execute();
        return 'removed';
      }
      await trx
        .updateTable('mr_comments')
        .set({ body: '', updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute();
      const reply = await trx
        .selectFrom('mr_comments')
        .select('id')
        .where('thread_id', '=', id)
        .limit(1)
        .executeTakeFirst();
      return reply ? 'tombstone' : 'removed';
    });
  }

  /** One page of a merge request's timeline, oldest first, and the number of entries. */
  async timeline(
    mrNumber: number,
    page: { limit: number; offset: number },
  ): Promise<{ events: TimelineEventRecord[]; total: number }> {
    const rows = await this.db
      .selectFrom('merge_request_event')
      .selectAll()
      .where('mr_id', '=', mrNumber)
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const count = await this.db
      .selectFrom('merge_request_event')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('mr_id', '=', mrNumber)
      .executeTakeFirst();
    return {
      events: rows.map((row) => ({
        id: Number(row.id),
        action: row.action,
        actor: row.actor,
        detail: row.detail ?? undefined,
        at: row.created_at,
      })),
      total: Number(count?.n ?? 0),
    };
  }
}

function recordOf(row: Selectable<MrCommentsTable>): CommentRecord {
  const anchored =
    row.repo_path !== null &&
    row.file_path !== null &&
    (row.side === 'old' || row.side === 'new') &&
    row.line !== null &&
    row.commit_id !== null;
  return {
    id: Number(row.id),
    mrNumber: Number(row.mr_id),
    threadId: row.thread_id === null ? undefined : Number(row.thread_id),
    position: anchored
      ? {
          repoPath: row.repo_path as string,
          path: row.file_path as string,
          side: row.side as 'old' | 'new',
          line: Number(row.line),
          commitId: storedId(row.commit_id as string),
        }
      : undefined,
    body: row.body,
    author: row.author,
    authorId: row.author_id === null ? undefined : Number(row.author_id),
    resolved: Number(row.resolved) === 1,
    resolvedBy: row.resolved_by ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
