import type { Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { nowTimestamp } from '../sql-batches.js';
import { storedId } from '../stored-id.js';

/** One user's approval of a merge request, and the pushed commit it approved. */
export interface ApprovalRecord {
  readonly userId: number;
  readonly username: string;
  readonly commit: ObjectId;
  readonly createdAt: string;
}

/** Approvals of merge requests (`mr_approvals`): one per user and request. */
export class ApprovalStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /**
   * Records `userId`'s approval of request `number` at `commit`; approving again moves the
   * approval to the new commit. Two single statements, no transaction of their own: the unique
   * key makes racing approvals end as one row (one transaction deadlocks on MariaDB's gap locks).
   */
  async approve(
    number: number,
    approval: { userId: number; username: string; commit: ObjectId },
  ): Promise<void> {
    const values = { username: approval.username, commit_id: approval.commit, created_at: nowTimestamp() };
    await insertIgnore(
      this.db.insertInto('mr_approvals').values({ mr_id: number, user_id: approval.userId, ...values }),
      this.capabilities,
    ).execute();
    await this.db
      .updateTable('mr_approvals')
      .set(values)
      .where('mr_id', '=', number)
      .where('user_id', '=', approval.userId)
      .where('commit_id', '<>', approval.commit)
      .execute();
  }

  /** Removes `userId`'s approval; false when they had none. */
  async unapprove(number: number, userId: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('mr_approvals')
      .where('mr_id', '=', number)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Every approval of request `number`, oldest first. */
  async list(number: number): Promise<ApprovalRecord[]> {
    const rows = await this.db
      .selectFrom('mr_approvals')
      .selectAll()
      .where('mr_id', '=', number)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      userId: Number(row.user_id),
      username: row.username,
      commit: storedId(row.commit_id),
      createdAt: row.created_at,
    }));
  }
}
