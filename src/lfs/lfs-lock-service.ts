import { conflict, forbidden, invalid, notFound } from '../platform/errors.js';
import type { LfsLockRecord, LfsStore } from '../storage/lfs/lfs-store.js';
import { rfc3339Seconds, type LfsActor, type LfsRepository } from './lfs-types.js';

/** A lock as the locking API returns it (git-lfs docs/api/locking.md, "Create Lock"). */
export interface LockJson {
  readonly id: string;
  readonly path: string;
  readonly locked_at: string;
  readonly owner: { readonly name: string };
}

export interface LockListJson {
  readonly locks: readonly LockJson[];
  readonly next_cursor?: string;
}

export interface LockVerifyJson {
  readonly ours: readonly LockJson[];
  readonly theirs: readonly LockJson[];
  readonly next_cursor?: string;
}

/** Page sizes: the default when the client sends none, and the most one page returns. */
export const DEFAULT_LOCK_PAGE = 100;
export const MAX_LOCK_PAGE = 1000;
/** Longest lockable path (PATH_MAX on Linux). */
export const MAX_LOCK_PATH_LENGTH = 4096;

export function lockJson(lock: LfsLockRecord): LockJson {
  return {
    id: String(lock.id),
    path: lock.path,
    locked_at: rfc3339Seconds(lock.lockedAt),
    owner: { name: lock.ownerName },
  };
}

/** Filters and page of a lock listing (`GET /locks`' query), before validation. */
export interface LockListQuery {
  readonly path?: string;
  readonly id?: string;
  readonly cursor?: string;
  readonly limit?: string;
}

/** Query of `GET /locks` and body of `POST /locks/verify`, before validation. */
export interface LockPageRequest {
  readonly cursor?: unknown;
  readonly limit?: unknown;
}

/**
 * File locks per repository (git-lfs docs/api/locking.md): one lock per path, owned by the user
 * who created it; only the owner unlocks, except with `force` a caller the web layer found may
 * (`maintain` on the repository, src/access). The `ref` of
 * requests is accepted and ignored, like the reference server: locks span all branches.
 */
export class LfsLockService {
  constructor(
    private readonly store: LfsStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(repo: LfsRepository, actor: LfsActor, body: unknown): Promise<LockJson> {
    const { path, ref } = asObject(body);
    const lockPath = validateLockPath(path);
    if (!repo.exists) throw notFound('repository_not_found', 'repository not found', { path: repo.path });
    const result = await this.store.createLock(repo.path, {
      path: lockPath,
      refName: refName(ref),
      ownerId: actor.userId,
      ownerName: actor.username,
      lockedAt: this.now().toISOString(),
    });
    if (!result.created) {
      throw conflict('lfs_lock_exists', 'already created lock', { lock: lockJson(result.existing) });
    }
    return lockJson(result.lock);
  }

  async list(repo: LfsRepository, query: LockListQuery): Promise<LockListJson> {
    const rows = await this.listRows(repo, query);
    return withCursor(rows.rows, rows.limit, (locks) => ({ locks: locks.map(lockJson) }));
  }

  /**
   * `list` as one user sees it: each lock says whether it is theirs (`git-lfs-transfer`'s
   * `list-lock` answers `owner ours|theirs` with every lock, where HTTP has `verify` for that).
   */
  async listForViewer(
    repo: LfsRepository,
    viewer: LfsActor,
    query: LockListQuery,
  ): Promise<{ readonly locks: ReadonlyArray<LockJson & { readonly ours: boolean }>; next_cursor?: string }> {
    const rows = await this.listRows(repo, query);
    return withCursor(rows.rows, rows.limit, (locks) => ({
      locks: locks.map((lock) => ({ ...lockJson(lock), ours: lock.ownerId === viewer.userId })),
    }));
  }

  private async listRows(
    repo: LfsRepository,
    query: LockListQuery,
  ): Promise<{ rows: readonly LfsLockRecord[]; limit: number }> {
    if (!repo.exists) return { rows: [], limit: DEFAULT_LOCK_PAGE };
    const page = pageOf({
      cursor: query.cursor,
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    if (query.id !== undefined && !/^\d{1,15}$/.test(query.id)) return { rows: [], limit: page.limit };
    const rows = await this.store.listLocks(repo.path, {
      path: query.path === undefined || query.path === '' ? undefined : query.path,
      id: query.id === undefined ? undefined : Number(query.id),
      afterId: page.afterId,
      limit: page.limit + 1,
    });
    return { rows, limit: page.limit };
  }

  /** Locks of others block a push of their paths; the client decides which pushed paths match. */
  async verify(repo: LfsRepository, actor: LfsActor, body: unknown): Promise<LockVerifyJson> {
    if (!repo.exists) return { ours: [], theirs: [] };
    const page = pageOf(asObject(body));
    const rows = await this.store.listLocks(repo.path, { afterId: page.afterId, limit: page.limit + 1 });
    return withCursor(rows, page.limit, (locks) => ({
      ours: locks.filter((lock) => lock.ownerId === actor.userId).map(lockJson),
      theirs: locks.filter((lock) => lock.ownerId !== actor.userId).map(lockJson),
    }));
  }

  /** `mayForce`: whether the caller may remove another user's lock with `force` (`maintain`). */
  async unlock(
    repo: LfsRepository,
    actor: LfsActor,
    id: string,
    body: unknown,
    options: { readonly mayForce: boolean },
  ): Promise<LockJson> {
    const { force } = asObject(body);
    if (force !== undefined && typeof force !== 'boolean')
      throw invalid('lfs_unlock_invalid', '`force` must be a boolean');
    const lock =
      /^\d{1,15}$/.test(id) && repo.exists
        ? (await this.store.listLocks(repo.path, { id: Number(id), limit: 1 }))[0]
        : undefined;
    if (!lock) throw notFound('lfs_lock_not_found', 'lock not found', { id });
    if (lock.ownerId !== actor.userId) {
      if (!force) {
        throw forbidden(
          'lfs_lock_not_owner',
          `lock is owned by ${lock.ownerName}; unlocking it needs --force`,
          {
            owner: lock.ownerName,
          },
        );
      }
      if (!options.mayForce)
        throw forbidden(
          'lfs_force_unlock_denied',
          `force-unlocking another user's lock needs the maintain role on ${repo.path}`,
          { path: repo.path, role: 'maintain' },
        );
    }
    if (!(await this.store.deleteLock(repo.path, lock.id))) {
      throw notFound('lfs_lock_not_found', 'lock not found', { id });
    }
    return lockJson(lock);
  }
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalid('lfs_request_invalid', 'request body must be a JSON object');
  return body as Record<string, unknown>;
}

function validateLockPath(path: unknown): string {
  if (
    typeof path !== 'string' ||
    path === '' ||
    path.length > MAX_LOCK_PATH_LENGTH ||
    /[\u0000-\u001f]/.test(path)
  ) {
    throw invalid('lfs_lock_path_invalid', 'lock `path` must be a non-empty file path', {
      limit: MAX_LOCK_PATH_LENGTH,
    });
  }
  return path;
}

function refName(ref: unknown): string | null {
  if (typeof ref !== 'object' || ref === null) return null;
  const name = (ref as { name?: unknown }).name;
  return typeof name === 'string' && name.length <= 1024 ? name : null;
}

/** Cursor = id of the last lock of the previous page; limit clamped to [1, MAX_LOCK_PAGE]. */
function pageOf(request: LockPageRequest): { afterId?: number; limit: number } {
  const { cursor, limit } = request;
  let afterId: number | undefined;
  if (cursor !== undefined && cursor !== '' && cursor !== null) {
    if (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor))
      throw invalid('lfs_cursor_invalid', 'invalid cursor');
    afterId = Number(cursor);
  }
  if (limit === undefined || limit === null) return { afterId, limit: DEFAULT_LOCK_PAGE };
  if (typeof limit !== 'number' || !Number.isInteger(limit))
    throw invalid('lfs_limit_invalid', '`limit` must be an integer');
  return { afterId, limit: Math.min(Math.max(limit, 1), MAX_LOCK_PAGE) };
}

function withCursor<T extends object>(
  rows: readonly LfsLockRecord[],
  limit: number,
  shape: (locks: readonly LfsLockRecord[]) => T,
): T & { next_cursor?: string } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const body: T & { next_cursor?: string } = shape(page);
  return rows.length > limit && last ? { ...body, next_cursor: String(last.id) } : body;
}
