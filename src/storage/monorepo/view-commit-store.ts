import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { storedId } from '../stored-id.js';

/** One step of a directory view's synthetic history (see `migrations/0004-monorepo.ts`). */
export interface ViewCommitRecord {
  readonly viewPath: string;
  readonly commitId: ObjectId;
  readonly treeId: ObjectId;
  /** Undefined for the first commit of the path. */
  readonly parentId: ObjectId | undefined;
  readonly directoryCommit: ObjectId;
  /** JSON-serialisable description of which repository commits the view shows where. */
  readonly links: unknown;
}

function viewKey(viewPath: string): string {
  return createHash('sha256').update(viewPath).digest('hex');
}

type Row = {
  view_path: string;
  commit_id: string;
  tree_id: string;
  parent_id: string;
  directory_commit: string;
  links: string;
};

function toRecord(row: Row): ViewCommitRecord {
  return {
    viewPath: row.view_path,
    commitId: storedId(row.commit_id),
    treeId: storedId(row.tree_id),
    parentId: row.parent_id === '' ? undefined : storedId(row.parent_id),
    directoryCommit: storedId(row.directory_commit),
    links: JSON.parse(row.links) as unknown,
  };
}

const COLUMNS = ['view_path', 'commit_id', 'tree_id', 'parent_id', 'directory_commit', 'links'] as const;

/** The chain of synthetic commits per view path. */
export class ViewCommitStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** The newest commit of a view path (the chain tip), or undefined before the first clone. */
  async tip(viewPath: string): Promise<ViewCommitRecord | undefined> {
    const row = await this.db
      .selectFrom('mega_view_commit')
      .select(COLUMNS)
      .where('view_key', '=', viewKey(viewPath))
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** A commit of this view's chain, or undefined when the id is not one of them. */
  async find(viewPath: string, commitId: string): Promise<ViewCommitRecord | undefined> {
    const row = await this.db
      .selectFrom('mega_view_commit')
      .select(COLUMNS)
      .where('view_key', '=', viewKey(viewPath))
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
          view_key: viewKey(record.viewPath),
          view_path: record.viewPath,
          commit_id: record.commitId,
          tree_id: record.treeId,
          parent_id: record.parentId ?? '',
          directory_commit: record.directoryCommit,
          links: JSON.stringify(record.links),
          created_at: new Date().toISOString(),
        })
        .execute();
      return true;
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
      return (await this.find(record.viewPath, record.commitId)) !== undefined;
    }
  }
}
