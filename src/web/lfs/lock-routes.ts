import type { LfsLockService } from '../../lfs/lfs-lock-service.js';
import type { LfsActor, LfsRepository } from '../../lfs/lfs-types.js';
import type { AccessIntent } from '../../repo/served-repository.js';
import type { RouteContext } from '../deps.js';
import { requireUser, type UserPrincipal } from '../../access/principal.js';
import type { RepoRouteMatch } from '../repo-router.js';
import { lfsRoute, sendLfsJson } from './lfs-reply.js';

export interface LockRouteDeps {
  readonly locks: LfsLockService;
  readonly resolve: (match: RepoRouteMatch, intent: AccessIntent) => Promise<LfsRepository>;
}

/**
 * The locking API (git-lfs docs/api/locking.md). Listing is a read; creating, verifying for a
 * push and unlocking need push access, i.e. a token.
 */
export function registerLfsLockRoutes(ctx: RouteContext, deps: LockRouteDeps): void {
  const { locks, resolve } = deps;

  ctx.repoRouter.add({
    method: 'GET',
    suffix: '/info/lfs/locks',
    handler: lfsRoute(async (request, reply, match) => {
      (await request.permissions()).requireRead(match.repoPath);
      const repo = await resolve(match, 'read');
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
      const actor = lockActor(requireUser(request.principal));
      const repo = await resolve(match, 'write');
      return sendLfsJson(reply, 201, { lock: await locks.create(repo, actor, request.body) });
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/locks/verify',
    handler: lfsRoute(async (request, reply, match) => {
      const actor = lockActor(requireUser(request.principal));
      const repo = await resolve(match, 'write');
      return sendLfsJson(reply, 200, await locks.verify(repo, actor, request.body));
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/locks/(?<id>[^/]+)/unlock',
    handler: lfsRoute(async (request, reply, match) => {
      const actor = lockActor(requireUser(request.principal));
      const repo = await resolve(match, 'write');
      const lock = await locks.unlock(repo, actor, match.params.id ?? '', request.body);
      return sendLfsJson(reply, 200, { lock });
    }),
  });
}

function lockActor(user: UserPrincipal): LfsActor {
  return { userId: user.userId, username: user.username, isAdmin: user.isAdmin };
}
