import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { batchIds, batchRows } from '../sql-batches.js';

/**
 * Cross-repository facts the Mega directory needs: which repository holds an object (a directory
 * view reads the trees of many repositories), a repository's stored size (the clone limit,
 * seed §3), and adding held objects to a repository (a view or a merge request makes objects of
 * one repository part of another).
 */
export class ObjectHolders {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** One repository holding each id (absent ids are left out). */
  async holders(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const batch of batchIds([...new Set(ids)], this.capabilities)) {
      const rows = await this.db
        .selectFrom('repository_objects')
        .select(['git_id', 'repo_id'])
        .where('git_id', 'in', batch)
        .execute();
      for (const row of rows) if (!out.has(row.git_id)) out.set(row.git_id, Number(row.repo_id));
    }
    return out;
  }

  /** Sum of the inflated sizes of the objects a repository holds, in bytes. */
  async repositorySize(repoId: number): Promise<number> {
    const row = await this.db
      .selectFrom('repository_objects')
      .innerJoin('raw_objects', 'raw_objects.git_id', 'repository_objects.git_id')
      .select((eb) => eb.fn.sum<number>('raw_objects.size').as('total'))
      .where('repository_objects.repo_id', '=', repoId)
      .executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  /**
   * Makes everything `source` holds held by `target` as well (one INSERT … SELECT): a directory
   * view shows whole repository trees, and this is far cheaper than walking them.
   */
  async linkRepository(target: number, source: number): Promise<void> {
    const select = this.db
      .selectFrom('repository_objects')
      .select([sql<number>`${target}`.as('repo_id'), 'git_id'])
      .where('repo_id', '=', source);
    await insertIgnore(
      this.db.insertInto('repository_objects').columns(['repo_id', 'git_id']).expression(select),
      this.capabilities,
    ).execute();
  }

  /** Records `ids` (already stored) as held by the repository; existing memberships are kept. */
  async link(repoId: number, ids: readonly string[]): Promise<void> {
    const rows = [...new Set(ids)].map((gitId) => ({ repo_id: repoId, git_id: gitId }));
    for (const batch of batchRows(rows, this.capabilities, 2)) {
      await insertIgnore(this.db.insertInto('repository_objects').values(batch), this.capabilities).execute();
    }
  }
}
