import { sql, type Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { batchIds, batchRows } from '../sql-batches.js';
import { storedId } from '../stored-id.js';

/** Repositories whose keys one holder query probes. */
const REPOSITORIES_PER_PROBE = 100;
/** (repository, id) pairs per holder query. */
const MAX_PROBES_PER_QUERY = 5000;

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

  /**
   * One repository holding each id (absent ids are left out). `repository_objects` has no index on
   * `git_id` (migration 0005: ingest would maintain it for every object), so ids found in
   * `raw_objects` are looked up through the primary key (repo_id, git_id), repositories in chunks,
   * until each has a holder: index probes whatever the size of the tables, never a scan.
   */
  async holders(ids: readonly string[]): Promise<Map<ObjectId, number>> {
    const out = new Map<ObjectId, number>();
    let missing = await this.stored([...new Set(ids)]);
    if (missing.length === 0) return out;
    const repositories = await this.db.selectFrom('repositories').select('id').orderBy('id').execute();
    for (let first = 0; first < repositories.length && missing.length > 0; first += REPOSITORIES_PER_PROBE) {
      const repoIds = repositories.slice(first, first + REPOSITORIES_PER_PROBE).map((row) => Number(row.id));
      // Every (repository, id) pair is one probe: bounded so MySQL keeps the ranges on the key.
      const perQuery = Math.max(1, Math.floor(MAX_PROBES_PER_QUERY / repoIds.length));
      for (let start = 0; start < missing.length; start += perQuery) {
        const rows = await this.db
          .selectFrom('repository_objects')
          .select(['git_id', 'repo_id'])
          .where('repo_id', 'in', repoIds)
          .where('git_id', 'in', missing.slice(start, start + perQuery))
          .execute();
        for (const row of rows) {
          const id = storedId(row.git_id);
          if (!out.has(id)) out.set(id, Number(row.repo_id));
        }
      }
      missing = missing.filter((id) => !out.has(id));
    }
    return out;
  }

  /** Which of `ids` are stored at all (the unique key of `raw_objects`). */
  private async stored(ids: readonly string[]): Promise<ObjectId[]> {
    const out: ObjectId[] = [];
    for (const batch of batchIds(ids, this.capabilities)) {
      const rows = await this.db
        .selectFrom('raw_objects')
        .select('git_id')
        .where('git_id', 'in', batch)
        .execute();
      for (const row of rows) out.push(storedId(row.git_id));
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
