import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import type { IssueTable, PullRequestTable } from '../schema.js';
import type { GithubCommentsTable } from './schema.js';

export type IssueRow = Selectable<IssueTable>;
export type PullRequestRow = Selectable<PullRequestTable>;
export type GithubCommentRow = Selectable<GithubCommentsTable>;
export type IssueValues = Omit<IssueRow, 'id'>;
export type PullRequestValues = Omit<PullRequestRow, 'id'>;
export type CommentValues = Omit<GithubCommentRow, 'id'>;

export interface LabelValue {
  readonly name: string;
  readonly color: string | null;
}

/** What an upsert did: a new row, a newer version, or nothing (what is stored is newer). */
export type UpsertOutcome = 'inserted' | 'updated' | 'stale';

export interface ListPage {
  readonly state?: 'open' | 'closed';
  readonly limit: number;
  readonly offset: number;
}

/**
 * The seed's `issue` and `pull_request` rows, with their comments and labels (`github_comments`,
 * `github_labels`). Webhooks and polls arrive in any order, so a row is only replaced by a
 * version whose `updated_at` is not older than the stored one; replaying anything is harmless.
 */
export class GithubIssueStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async upsertIssue(values: IssueValues, labels?: readonly LabelValue[]): Promise<UpsertOutcome> {
    const outcome = await this.upsertRow('issue', values);
    if (outcome !== 'stale' && labels) await this.replaceLabels(values.repo_id, values.number, labels);
    return outcome;
  }

  async upsertPullRequest(values: PullRequestValues, labels?: readonly LabelValue[]): Promise<UpsertOutcome> {
    const outcome = await this.upsertRow('pull_request', values);
    if (outcome !== 'stale' && labels) await this.replaceLabels(values.repo_id, values.number, labels);
    return outcome;
  }

  /** An issue deleted or transferred away on GitHub: the row, its comments and labels go. */
  async deleteIssue(repoId: number, number: number): Promise<void> {
    await this.db.deleteFrom('issue').where('repo_id', '=', repoId).where('number', '=', number).execute();
    await this.db
      .deleteFrom('github_comments')
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .execute();
    await this.db
      .deleteFrom('github_labels')
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .execute();
  }

  async upsertComment(values: CommentValues): Promise<UpsertOutcome> {
    const inserted = await insertIgnore(
      this.db.insertInto('github_comments').values(values),
      this.capabilities,
    )
      .executeTakeFirst()
      .then((result) => Number(result.numInsertedOrUpdatedRows ?? 0) > 0);
    if (inserted) return 'inserted';
    const { repo_id: repoId, comment_id: commentId, ...rest } = values;
    const result = await this.db
      .updateTable('github_comments')
      .set(rest)
      .where('repo_id', '=', repoId)
      .where('comment_id', '=', commentId)
      .where('updated_at', '<=', values.updated_at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? 'updated' : 'stale';
  }

  async deleteComment(repoId: number, commentId: number): Promise<void> {
    await this.db
      .deleteFrom('github_comments')
      .where('repo_id', '=', repoId)
      .where('comment_id', '=', commentId)
      .execute();
  }

  async listIssues(repoId: number, page: ListPage): Promise<IssueRow[]> {
    let query = this.db.selectFrom('issue').selectAll().where('repo_id', '=', repoId);
    if (page.state) query = query.where('state', '=', page.state);
    return query.orderBy('number', 'desc').limit(page.limit).offset(page.offset).execute();
  }

  async listPullRequests(repoId: number, page: ListPage): Promise<PullRequestRow[]> {
    let query = this.db.selectFrom('pull_request').selectAll().where('repo_id', '=', repoId);
    if (page.state) query = query.where('state', '=', page.state);
    return query.orderBy('number', 'desc').limit(page.limit).offset(page.offset).execute();
  }

  async issue(repoId: number, number: number): Promise<IssueRow | undefined> {
    return this.db
      .selectFrom('issue')
      .selectAll()
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  async pullRequest(repoId: number, number: number): Promise<PullRequestRow | undefined> {
    return this.db
      .selectFrom('pull_request')
      .selectAll()
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  async comments(repoId: number, number: number): Promise<GithubCommentRow[]> {
    return this.db
      .selectFrom('github_comments')
      .selectAll()
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .orderBy('created_at')
      .orderBy('comment_id')
      .execute();
  }

  /** Labels of the given numbers, by number, in name order. */
  async labels(repoId: number, numbers: readonly number[]): Promise<Map<number, LabelValue[]>> {
    const byNumber = new Map<number, LabelValue[]>();
    if (numbers.length === 0) return byNumber;
    const rows = await this.db
      .selectFrom('github_labels')
      .select(['number', 'name', 'color'])
      .where('repo_id', '=', repoId)
      .where('number', 'in', [...numbers])
      .orderBy('number')
      .orderBy('name')
      .execute();
    for (const row of rows) {
      const list = byNumber.get(Number(row.number)) ?? [];
      list.push({ name: row.name, color: row.color });
      byNumber.set(Number(row.number), list);
    }
    return byNumber;
  }

  /** How many issues and pull requests a repository has, by state. */
  async counts(repoId: number): Promise<{ issues: Record<string, number>; pulls: Record<string, number> }> {
    const count = async (table: 'issue' | 'pull_request') => {
      const rows = await this.db
        .selectFrom(table)
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('repo_id', '=', repoId)
        .groupBy('state')
        .execute();
      return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
    };
    return { issues: await count('issue'), pulls: await count('pull_request') };
  }

  /**
   * Removes a repository's rows: on unlink, and when the repository goes (issue and pull_request
   * are the seed's tables, without a foreign key; comments and labels also cascade).
   */
  async deleteRepository(repoId: number): Promise<void> {
    await this.db.deleteFrom('issue').where('repo_id', '=', repoId).execute();
    await this.db.deleteFrom('pull_request').where('repo_id', '=', repoId).execute();
    await this.db.deleteFrom('github_comments').where('repo_id', '=', repoId).execute();
    await this.db.deleteFrom('github_labels').where('repo_id', '=', repoId).execute();
  }

  private async upsertRow(
    table: 'issue' | 'pull_request',
    values: IssueValues | PullRequestValues,
  ): Promise<UpsertOutcome> {
    const insert = this.db.insertInto(table).values(values as PullRequestValues);
    const result = await insertIgnore(insert, this.capabilities).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return 'inserted';
    // created_at never changes; the rest follows the newer version.
    const { repo_id: repoId, number, ...rest } = values;
    delete (rest as { created_at?: string }).created_at;
    const updated = await this.db
      .updateTable(table)
      .set(rest as Partial<PullRequestValues>)
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .where('updated_at', '<=', values.updated_at)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0 ? 'updated' : 'stale';
  }

  private async replaceLabels(repoId: number, number: number, labels: readonly LabelValue[]): Promise<void> {
    await this.db
      .deleteFrom('github_labels')
      .where('repo_id', '=', repoId)
      .where('number', '=', number)
      .execute();
    const unique = new Map(labels.map((label) => [label.name, label]));
    if (unique.size === 0) return;
    await this.db
      .insertInto('github_labels')
      .values(
        [...unique.values()].map((label) => ({
          repo_id: repoId,
          number,
          name: label.name,
          color: label.color,
        })),
      )
      .execute();
  }
}
