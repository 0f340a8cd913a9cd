import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import type { CommitStatusesTable } from './schema.js';

/** One status as stored: the latest of its (repository, commit, context). */
export type CommitStatusRow = Selectable<CommitStatusesTable>;

export interface CommitStatusWrite {
  readonly repoPath: string;
  readonly commit: string;
  readonly context: string;
  readonly state: string;
  readonly targetUrl: string | null;
  readonly description: string | null;
  readonly creator: string;
  /** ISO-8601 time of the post. */
  readonly at: string;
}

/** Commit statuses CI systems post (`commit_statuses`): the latest state per repository, commit and context. */
export class CommitStatusStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /**
   * Keeps `status` as the latest of its context: updates the row, or inserts it. Two CI jobs
   * posting the first status of one context at once race on the unique key; the loser updates.
   */
  async upsert(status: CommitStatusWrite): Promise<CommitStatusRow> {
    if (!(await this.update(status))) {
      try {
        await this.db
          .insertInto('commit_statuses')
          .values({
            repo_path: status.repoPath,
            commit_id: status.commit,
            context: status.context,
            state: status.state,
            target_url: status.targetUrl,
            description: status.description,
            creator: status.creator,
            created_at: status.at,
            updated_at: status.at,
          })
          .execute();
      } catch (error) {
        if (!this.capabilities.isUniqueViolation(error)) throw error;
        await this.update(status);
      }
    }
    const row = await this.db
      .selectFrom('commit_statuses')
      .selectAll()
      .where('repo_path', '=', status.repoPath)
      .where('commit_id', '=', status.commit)
      .where('context', '=', status.context)
      .executeTakeFirstOrThrow();
    return row;
  }

  /** The latest status of every context of `commit` in `repoPath`, sorted by context. */
  async latest(repoPath: string, commit: string): Promise<CommitStatusRow[]> {
    return this.db
      .selectFrom('commit_statuses')
      .selectAll()
      .where('repo_path', '=', repoPath)
      .where('commit_id', '=', commit)
      .orderBy('context')
      .execute();
  }

  private async update(status: CommitStatusWrite): Promise<boolean> {
    const result = await this.db
      .updateTable('commit_statuses')
      .set({
        state: status.state,
        target_url: status.targetUrl,
        description: status.description,
        creator: status.creator,
        updated_at: status.at,
      })
      .where('repo_path', '=', status.repoPath)
      .where('commit_id', '=', status.commit)
      .where('context', '=', status.context)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
