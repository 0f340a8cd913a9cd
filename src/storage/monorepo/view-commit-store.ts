import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { storedId } from '../stored-id.js';

/**
 * Which chain of synthetic commits: a view path, and the paths left out for readers who may not
 * read them (sorted; empty for the unfiltered chain, whose key is unchanged since 0004).
 */
export interface ViewChain {
  readonly viewPath: string;
  readonly hidden: readonly string[];
}

/** One step of a directory view's synthetic history (see `migrations/0004-monorepo.ts`). */
export interface ViewCommitRecord extends ViewChain {
  readonly commitId: ObjectId;
  readonly treeId: ObjectId;
  /** The previous step of this chain; undefined for its first step. */
  readonly parentId: ObjectId | undefined;
  readonly directoryCommit: ObjectId;
  /** JSON-serialisable description of which repository commits the view shows where. */
  readonly links: unknown;
}

/** The unfiltered chain of a path. */
export function unfilteredChain(viewPath: string): ViewChain {
  return { viewPath, hidden: [] };
}

/**
 * sha256 of the path (MySQL cannot put a long path in a composite key); a filtered chain adds
 * its hidden paths, NUL-separated (NUL never occurs in a directory path).
 */
function viewKey(chain: ViewChain): string {
  const hash = createHash('sha256').update(chain.viewPath);
  for (const path of [...chain.hidden].sort()) hash.update('\0').update(path);
  return hash.digest('hex');
}

type Row = {
  view_path: string;
  commit_id: string;
  tree_id: string;
  parent_id: string;
  directory_commit: string;
  links: string;
  hidden: string | null;
};

function toRecord(row: Row): ViewCommitRecord {
  return {
    viewPath: row.view_path,
    hidden: row.hidden === null ? [] : (JSON.parse(row.hidden) as string[]),
    commitId: storedId(row.commit_id),
    treeId: storedId(row.tree_id),
    parentId: row.parent_id === '' ? undefined : storedId(row.parent_id),
    directoryCommit: storedId(row.directory_commit),
    links: JSON.parse(row.links) as unknown,
  };
}

const COLUMNS = [
  'view_path',
  'commit_id',
  'tree_id',
  'parent_id',
  'directory_commit',
  'links',
  'hidden',
] as const;

/** The chains of synthetic commits per view path and hidden set. */
export class ViewCommitStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** The newest commit of a chain (its tip), or undefined before the chain's first clone. */
  async tip(chain: ViewChain): Promise<ViewCommitRecord | undefined> {
    const row = await this.db
      .selectFrom('mega_view_commit')
      .select(COLUMNS)
      .where('view_key', '=', viewKey(chain))
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** The tips of every filtered chain of a view path, newest first. */
  async filteredTips(viewPath: string): Promise<ViewCommitRecord[]> {
    const rows = await this.db
      .selectFrom('mega_view_commit')
      .select([...COLUMNS, 'view_key'])
      .where('view_path', '=', viewPath)
      .where('hidden', 'is not', null)
      .orderBy('id', 'desc')
      .execute();
    const seen = new Set<string>();
    const tips: ViewCommitRecord[] = [];
    for (const row of rows) {
      if (seen.has(row.view_key)) continue;
      seen.add(row.view_key);
      tips.push(toRecord(row));
    }
    return tips;
  }

  /** A commit of this chain, or undefined when the id is not one of them. */
  async find(chain: ViewChain, commitId: string): Promise<ViewCommitRecord | undefined> {
    const row = await this.db
      .selectFrom('mega_view_commit')
      .select(COLUMNS)
      .where('view_key', '=', viewKey(chain))
      .where('commit_id', '=', commitId)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Appends a step. Returns false when another server appended a different step on the same
   * parent first (the caller re-reads the tip and recomputes); an identical step is not an error.
   */
  async append(record: ViewCommitRecord): Promise<boolean> {
    try {
      await this.db
        .insertInto('mega_view_commit')
        .values({
          view_key: viewKey(record),
          view_path: record.viewPath,
          commit_id: record.commitId,
          tree_id: record.treeId,
          parent_id: record.parentId ?? '',
          directory_commit: record.directoryCommit,
          links: JSON.stringify(record.links),
          hidden: record.hidden.length === 0 ? null : JSON.stringify([...record.hidden].sort()),
          created_at: new Date().toISOString(),
        })
        .execute();
      return true;
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
      return (await this.find(record, record.commitId)) !== undefined;
    }
  }
}
