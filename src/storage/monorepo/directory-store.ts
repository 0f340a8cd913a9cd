import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { inTransaction } from '../transaction.js';
import { insertIgnore } from '../insert-ignore.js';
import { batchIds } from '../sql-batches.js';
import { storedId } from '../stored-id.js';

/** A directory tree as the seed's `dir_tree` row describes it. */
export interface DirectoryTreeRecord {
  readonly gitId: string;
  /** `/`, `/projects`, `/projects/team`. */
  readonly fullPath: string;
  readonly name: string;
  /** Ids of the subtrees, in tree order. */
  readonly subTrees: readonly string[];
  /** Serialised tree size in bytes. */
  readonly size: number;
}

export interface DirectoryCommitRecord {
  readonly gitId: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: string;
  readonly committer: string;
  readonly message: string;
}

/** The repository path the seed gives the directory in `dir_commit.repo_path` / `dir_tree.repo_path`. */
export const DIRECTORY_REPO_PATH = '/';

/**
 * The seed's directory tables (seed 004 §2, §3): `dir_commit` (every directory commit),
 * `dir_tree` (every directory tree, with the commit that introduced it) and `mega_directory`
 * (the latest tree of each directory path). The git objects themselves live in the object store
 * like any repository's; these tables are the directory's own index of them.
 */
export class DirectoryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** Records one directory commit and its trees; `mega_directory` then points at these trees. */
  async recordCommit(commit: DirectoryCommitRecord, trees: readonly DirectoryTreeRecord[]): Promise<void> {
    const caps = this.capabilities;
    const now = new Date().toISOString();
    await inTransaction(this.db, async (trx) => {
      await insertIgnore(
        trx.insertInto('dir_commit').values({
          git_id: commit.gitId,
          tree: commit.tree,
          pid: JSON.stringify(commit.parents),
          repo_path: DIRECTORY_REPO_PATH,
          author: commit.author,
          committer: commit.committer,
          content: commit.message,
        }),
        caps,
      ).execute();
      for (const tree of trees) {
        const known = await trx
          .selectFrom('dir_tree')
          .select('id')
          .where('git_id', '=', tree.gitId)
          .where('full_path', '=', tree.fullPath)
          .executeTakeFirst();
        if (!known) {
          await trx
            .insertInto('dir_tree')
            .values({
              git_id: tree.gitId,
              last_commit: commit.gitId,
              name: tree.name.slice(0, 128),
              sub_trees: JSON.stringify(tree.subTrees),
              size: tree.size,
              repo_path: DIRECTORY_REPO_PATH,
              full_path: tree.fullPath,
            })
            .execute();
        }
        const updated = await trx
          .updateTable('mega_directory')
          .set({ tree_id: tree.gitId, updated_at: now })
          .where('full_path', '=', tree.fullPath)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) {
          await insertIgnore(
            trx
              .insertInto('mega_directory')
              .values({ full_path: tree.fullPath, tree_id: tree.gitId, created_at: now, updated_at: now }),
            caps,
          ).execute();
        }
      }
      const current = new Set(trees.map((tree) => tree.fullPath));
      const stale = await trx.selectFrom('mega_directory').select('full_path').execute();
      const gone = stale.map((row) => row.full_path).filter((path) => !current.has(path));
      if (gone.length > 0) await trx.deleteFrom('mega_directory').where('full_path', 'in', gone).execute();
    });
  }

  async hasCommit(gitId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('dir_commit')
      .select('id')
      .where('git_id', '=', gitId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Latest tree id of each directory path. */
  async directories(): Promise<ReadonlyMap<string, string>> {
    const rows = await this.db.selectFrom('mega_directory').select(['full_path', 'tree_id']).execute();
    return new Map(rows.map((row) => [row.full_path, row.tree_id]));
  }

  /**
   * The head commit (the target of its `head_ref`) of each repository at `paths`, one query per
   * batch; repositories without one, and paths without a repository, are left out. A directory
   * view checks with it that the repositories it shows have not moved since its chain's tip.
   */
  async headsOf(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const batch of batchIds(paths, this.capabilities)) {
      const rows = await this.db
        .selectFrom('repositories')
        .innerJoin('refs', (join) =>
          join
            .onRef('refs.repo_id', '=', 'repositories.id')
            .onRef('refs.ref_name', '=', 'repositories.head_ref'),
        )
        .select(['repositories.path', 'refs.ref_git_id'])
        .where('repositories.path', 'in', batch)
        .execute();
      for (const row of rows) out.set(row.path, storedId(row.ref_git_id));
    }
    return out;
  }

  async commitCount(): Promise<number> {
    const row = await this.db
      .selectFrom('dir_commit')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
