import type { FastifyRequest } from 'fastify';
import type { LfsLockService } from '../../lfs/lfs-lock-service.js';
import type { LfsActor, LfsRepository } from '../../lfs/lfs-types.js';
import type { RouteContext } from '../deps.js';
import { requireUser, type UserPrincipal } from '../../access/principal.js';
import type { RepoRouteMatch } from '../repo-router.js';
import { lfsRoute, sendLfsJson } from './lfs-reply.js';

/** The repository of an LFS request, after the caller's access to it was checked. */
export interface LfsAccess {
  /** Read access (404, or 401 for anonymous callers, when the path cannot be read). */
  readable(request: FastifyRequest, match: RepoRouteMatch): Promise<LfsRepository>;
  /** A token and `write` on the repository (on its parent before its first push). */
  writable(request: FastifyRequest, match: RepoRouteMatch): Promise<LfsRepository>;
}

export interface LockRouteDeps {
  readonly locks: LfsLockService;
  readonly access: LfsAccess;
}

/**
 * The locking API (git-lfs docs/api/locking.md). Listing needs read access; creating, verifying
 * for a push and unlocking need `write`; unlocking another user's lock with `force` needs
 * `maintain`.
 */
export function registerLfsLockRoutes(ctx: RouteContext, deps: LockRouteDeps): void {
  const { locks, access } = deps;

  ctx.repoRouter.add({
    method: 'GET',
    suffix: '/info/lfs/locks',
    handler: lfsRoute(async (request, reply, match) => {
      const repo = await access.readable(request, match);
      const query = request.query as Record<string, unknown>;
      const text = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
      const result = await locks.list(repo, {
        path: text('path'),
        id: text('id'),
        cursor: text('cursor'),
        limit: text('limit'),
      });
      return sendLfsJson(reply, 200, result);
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/locks',
    handler: lfsRoute(async (request, reply, match) => {
      const repo = await access.writable(request, match);
      const actor = lockActor(requireUser(request.principal));
      return sendLfsJson(reply, 201, { lock: await locks.create(repo, actor, request.body) });
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/locks/verify',
    handler: lfsRoute(async (request, reply, match) => {
      const repo = await access.writable(request, match);
      const actor = lockActor(requireUser(request.principal));
      return sendLfsJson(reply, 200, await locks.verify(repo, actor, request.body));
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/locks/(?<id>[^/]+)/unlock',
    handler: lfsRoute(async (request, reply, match) => {
      const repo = await access.writable(request, match);
      const actor = lockActor(requireUser(request.principal));
      const mayForce = (await request.permissions()).has(repo.path, 'maintain');
      const lock = await locks.unlock(repo, actor, match.params.id ?? '', request.body, { mayForce });
      return sendLfsJson(reply, 200, { lock });
    }),
  });
}

function lockActor(user: UserPrincipal): LfsActor {
  return { userId: user.userId, username: user.username, isAdmin: user.isAdmin };
}
