import { createHash } from 'node:crypto';
import { sql, type InsertQueryBuilder, type Kysely, type InsertResult } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { inTransaction } from '../transaction.js';

/** What the catalogue knows of one object: its size and whether its content is still stored. */
export interface LfsObjectRecord {
  readonly oid: string;
  readonly size: number;
  /** False once an object was removed (the batch API answers 410 for it). */
  readonly exists: boolean;
}

/** A lock as stored. */
export interface LfsLockRecord {
  readonly id: number;
  readonly path: string;
  readonly refName: string | null;
  readonly ownerId: number;
  readonly ownerName: string;
  /** ISO-8601 UTC. */
  readonly lockedAt: string;
}

export interface NewLfsLock {
  readonly path: string;
  readonly refName: string | null;
  readonly ownerId: number;
  readonly ownerName: string;
  readonly lockedAt: string;
}

export interface LfsLockQuery {
  readonly path?: string;
  readonly id?: number;
  /** Only locks with an id greater than this (the list cursor). */
  readonly afterId?: number;
  readonly limit: number;
}

/** Outcome of creating a lock: the new lock, or the lock already holding that path. */
export type CreateLockResult =
  | { readonly created: true; readonly lock: LfsLockRecord }
  | { readonly created: false; readonly existing: LfsLockRecord };

/** `/a/b/c` → `/a/b/c`, `/a/b`, `/a` (never the root `/`). */
export function containingPaths(repoPath: string): string[] {
  const paths: string[] = [];
  for (let path = repoPath; path !== '' && path !== '/'; path = path.slice(0, path.lastIndexOf('/'))) {
    paths.push(path);
  }
  return paths;
}

/** Hex sha256 of a string: the indexable key of a repository path or file path. */
export function keyOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

interface LockRow {
  id: number;
  path: string;
  ref_name: string | null;
  owner_id: number;
  owner_name: string;
  locked_at: string;
}

function toLock(row: LockRow): LfsLockRecord {
  return {
    id: Number(row.id),
    path: row.path,
    refName: row.ref_name,
    ownerId: Number(row.owner_id),
    ownerName: row.owner_name,
    lockedAt: row.locked_at,
  };
}

const LOCK_COLUMNS = ['id', 'path', 'ref_name', 'owner_id', 'owner_name', 'locked_at'] as const;

/**
 * SQL of the LFS area: the object catalogue (`lfs_objects`), which repository references which
 * object (`lfs_repository_objects`) and file locks (`lfs_file_locks`). Repositories are addressed
 * by their canonical path, so objects can be uploaded before the first `git push` creates the
 * repository (git-lfs uploads in its pre-push hook).
 */
export class LfsStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /**
   * Catalogue entries of those `oids` visible through `repoPath`: linked to that path, to a path
   * containing it or to a path it contains (segment-wise; a Mega directory view such as
   * `/projects` contains the repositories below it, and `/projects/app/docs` is part of
   * `/projects/app`). The root `/` contains nothing but itself: its clone does not expand the
   * repositories below the top level.
   */
  async findVisibleObjects(repoPath: string, oids: readonly string[]): Promise<Map<string, LfsObjectRecord>> {
    const found = new Map<string, LfsObjectRecord>();
    if (oids.length === 0) return found;
    const containing = containingPaths(repoPath).map(keyOf);
    const below = `${repoPath}/`;
    const rows = await this.db
      .selectFrom('lfs_repository_objects as member')
      .innerJoin('lfs_objects as object', 'object.oid', 'member.oid')
      .select(['object.oid', 'object.size', 'object.exist'])
      .where('member.oid', 'in', [...new Set(oids)])
      .where((where) =>
        repoPath === '/'
          ? where('member.repo_key', '=', keyOf(repoPath))
          : where.or([
              where('member.repo_key', 'in', containing),
              // A prefix test without LIKE: no escaping rules that differ between the databases.
              where(sql`substr(${sql.ref('member.repo_path')}, 1, ${[...below].length})`, '=', below),
            ]),
      )
      .execute();
    for (const row of rows) {
      found.set(row.oid, { oid: row.oid, size: Number(row.size ?? 0), exists: Number(row.exist) === 1 });
    }
    return found;
  }

  /**
   * Records a verified, stored object and links it to the repository. Idempotent: the same
   * content uploaded again, or through another repository, adds only the link.
   */
  async recordObject(repoPath: string, oid: string, size: number, now: string): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.ignoreDuplicates(trx.insertInto('lfs_objects').values({ oid, size, exist: 1 })).execute();
      await trx.updateTable('lfs_objects').set({ exist: 1, size }).where('oid', '=', oid).execute();
      await this.ignoreDuplicates(
        trx
          .insertInto('lfs_repository_objects')
          .values({ repo_key: keyOf(repoPath), oid, repo_path: repoPath, created_at: now }),
      ).execute();
    });
  }

  /**
   * Objects whose content is stored (`exist`), in oid order after `afterOid`, at most `limit`:
   * the pages `mega lfs migrate-store` copies.
   */
  async listStoredObjects(afterOid: string, limit: number): Promise<Array<{ oid: string; size: number }>> {
    const rows = await this.db
      .selectFrom('lfs_objects')
      .select(['oid', 'size'])
      .where('exist', '=', 1)
      .where('oid', '>', afterOid)
      .orderBy('oid')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ oid: row.oid, size: Number(row.size ?? 0) }));
  }

  /** Marks content as removed (kept in the catalogue so downloads answer 410, not 404). */
  async markRemoved(oid: string): Promise<void> {
    await this.db.updateTable('lfs_objects').set({ exist: 0 }).where('oid', '=', oid).execute();
  }

  /** Creates a lock unless the path is locked already; the unique key decides concurrent races. */
  async createLock(repoPath: string, lock: NewLfsLock): Promise<CreateLockResult> {
    const row = {
      repo_key: keyOf(repoPath),
      repo_path: repoPath,
      path_key: keyOf(lock.path),
      path: lock.path,
      ref_name: lock.refName,
      owner_id: lock.ownerId,
      owner_name: lock.ownerName,
      locked_at: lock.lockedAt,
    };
    try {
      const id = await this.insertReturningId(row);
      return { created: true, lock: { ...lock, id } };
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
      const existing = await this.findLockByPath(repoPath, lock.path);
      // Unlocked between our insert and this read: report the race as a conflict with no holder.
      if (!existing) throw error;
      return { created: false, existing };
    }
  }

  async findLockByPath(repoPath: string, path: string): Promise<LfsLockRecord | undefined> {
    const row = await this.db
      .selectFrom('lfs_file_locks')
      .select(LOCK_COLUMNS)
      .where('repo_key', '=', keyOf(repoPath))
      .where('path_key', '=', keyOf(path))
      .executeTakeFirst();
    return row ? toLock(row) : undefined;
  }

  /** Locks of a repository in id order, filtered; at most `limit` rows. */
  async listLocks(repoPath: string, query: LfsLockQuery): Promise<LfsLockRecord[]> {
    let select = this.db
      .selectFrom('lfs_file_locks')
      .select(LOCK_COLUMNS)
      .where('repo_key', '=', keyOf(repoPath));
    if (query.path !== undefined) select = select.where('path_key', '=', keyOf(query.path));
    if (query.id !== undefined) select = select.where('id', '=', query.id);
    if (query.afterId !== undefined) select = select.where('id', '>', query.afterId);
    const rows = await select.orderBy('id').limit(query.limit).execute();
    return rows.map(toLock);
  }

  /** Deletes a lock; false when it did not exist (or another request deleted it first). */
  async deleteLock(repoPath: string, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('lfs_file_locks')
      .where('repo_key', '=', keyOf(repoPath))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private async insertReturningId(row: Omit<Database['lfs_file_locks'], 'id'>): Promise<number> {
    const insert = this.db.insertInto('lfs_file_locks').values(row);
    if (this.capabilities.supportsReturning) {
      const inserted = await insert.returning('id').executeTakeFirstOrThrow();
      return Number(inserted.id);
    }
    const result = await insert.executeTakeFirstOrThrow();
    return Number(result.insertId);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private ignoreDuplicates<T extends InsertQueryBuilder<Database, any, InsertResult>>(insert: T): T {
    return (
      this.capabilities.insertIgnore === 'insert-ignore'
        ? insert.ignore()
        : insert.onConflict((conflict) => conflict.doNothing())
    ) as T;
  }
}
