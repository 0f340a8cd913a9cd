import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LfsActor, LfsOperation, LfsRepository } from '../../lfs/lfs-types.js';
import { TRANSFER_TOKEN_HEADER } from '../../lfs/transfer-token.js';
import { forbidden, notFound, tooLarge } from '../../platform/errors.js';
import { EVERY_PATH, type AccessIntent } from '../../repo/served-repository.js';
import type { RouteContext } from '../deps.js';
import { requireUser, type Principal } from '../../access/principal.js';
import { requirePushAccess } from '../../access/push-guard.js';
import type { RepoRouteMatch } from '../repo-router.js';
import { requestBodyStream } from '../request-body.js';
import { lfsEndpointUrl, lfsRoute, sendLfsJson } from './lfs-reply.js';
import { registerLfsLockRoutes, type LfsAccess } from './lock-routes.js';

/**
 * The Git LFS API under `/{repo}.git/info/lfs/` (git-lfs docs/api/): the batch endpoint, the
 * basic-transfer object endpoints its hrefs point at, verify, and (in `lock-routes.ts`) locks.
 * Reads need read access to the path and uploads and locks `write`, as git's (src/access);
 * object requests carry either the transfer header a batch response handed out (after those
 * checks) or a user credential.
 */
export async function lfsRoutes(_app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const services = ctx.lfs;
  const access: LfsAccess = {
    /** Reads: the path must be readable (404, or 401 anonymous, as for git). */
    readable: async (request, match) => {
      (await request.permissions()).requireRead(match.repoPath);
      return resolveRepository(ctx, match, 'read');
    },
    /** Uploads and locks: a token and `write`, as for a push (`requirePushAccess`). */
    writable: async (request, match) => {
      requireUser(request.principal);
      const permissions = await request.permissions();
      permissions.requireRead(match.repoPath);
      const repo = await resolveRepository(ctx, match, 'write');
      requirePushAccess(permissions, repo);
      return repo;
    },
  };

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/objects/batch',
    handler: lfsRoute(async (request, reply, match) => {
      const upload = (request.body as { operation?: unknown } | undefined)?.operation === 'upload';
      // Checked before the batch hands out any transfer token.
      const repo = upload ? await access.writable(request, match) : await access.readable(request, match);
      if (!upload && !repo.exists) throw notFound('repository_not_found', 'repository not found');
      const url = lfsEndpointUrl(request, ctx.config);
      const actor = actorOf(request.principal);
      return sendLfsJson(reply, 200, await services.objects.batch(repo, actor, request.body, url));
    }),
  });

  ctx.repoRouter.add({
    method: 'PUT',
    suffix: '/info/lfs/objects/(?<oid>[^/]+)',
    streamedBody: true,
    handler: lfsRoute(async (request, reply, match) => {
      const oid = match.params.oid ?? '';
      const token = transferToken(request);
      const repo =
        token === undefined
          ? await access.writable(request, match)
          : await resolveRepository(ctx, match, 'write');
      const grant =
        token === undefined ? undefined : services.objects.authorizeTransfer(token, 'upload', repo, oid);
      const maxBytes = ctx.config.limits.maxRequestBytes;
      const expectedSize = grant?.size ?? declaredLength(request);
      if (expectedSize !== undefined && expectedSize > maxBytes) {
        throw tooLarge('lfs_object_too_large', `object exceeds the limit of ${maxBytes} bytes`, {
          limit: maxBytes,
        });
      }
      await services.objects.upload(repo, oid, expectedSize, () =>
        requestBodyStream(request, expectedSize ?? maxBytes),
      );
      return reply.status(200).send();
    }),
  });

  ctx.repoRouter.add({
    method: 'GET',
    suffix: '/info/lfs/objects/(?<oid>[^/]+)',
    handler: lfsRoute(async (request, reply, match) => {
      const oid = match.params.oid ?? '';
      const repo = await authorizeObject(request, match, 'download', oid);
      const download = await services.objects.download(repo, oid, request.headers.range);
      void reply.header('Accept-Ranges', 'bytes').type('application/octet-stream');
      if (download.range.kind === 'unsatisfiable') {
        return reply.status(416).header('Content-Range', `bytes */${download.size}`).send();
      }
      if (download.range.kind === 'partial') {
        const { start, end } = download.range.span;
        void reply.header('Content-Range', `bytes ${start}-${end}/${download.size}`);
        void reply.header('Content-Length', end - start + 1);
      } else {
        void reply.header('Content-Length', download.size);
      }
      return reply.status(download.status).send(download.body);
    }),
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/info/lfs/objects/(?<oid>[^/]+)/verify',
    handler: lfsRoute(async (request, reply, match) => {
      const repo = await authorizeObject(request, match, 'upload', match.params.oid ?? '');
      await services.objects.verify(repo, request.body);
      return sendLfsJson(reply, 200, { message: 'object verified' });
    }),
  });

  /**
   * Object endpoints: the transfer header a batch handed out (only after its own check), or a
   * user credential checked like the batch.
   */
  async function authorizeObject(
    request: FastifyRequest,
    match: RepoRouteMatch,
    operation: LfsOperation,
    oid: string,
  ): Promise<LfsRepository> {
    const token = transferToken(request);
    if (token === undefined) {
      return operation === 'upload' ? access.writable(request, match) : access.readable(request, match);
    }
    const repo = await resolveRepository(ctx, match, operation === 'upload' ? 'write' : 'read');
    services.objects.authorizeTransfer(token, operation, repo, oid);
    return repo;
  }

  registerLfsLockRoutes(ctx, { locks: services.locks, access });
}

/** Resolves the repository through the shared resolver (Mega directory paths included). */
export async function resolveRepository(
  ctx: RouteContext,
  match: RepoRouteMatch,
  intent: AccessIntent,
): Promise<LfsRepository> {
  const repo = await ctx.repositories.resolve(match.repoPath, intent, EVERY_PATH);
  if (intent === 'write' && !repo.writable) {
    throw forbidden('repository_read_only', repo.readOnlyReason ?? 'repository is read-only');
  }
  return { path: repo.path, exists: repo.exists };
}

export function actorOf(principal: Principal): LfsActor | undefined {
  return principal.kind === 'user'
    ? { userId: principal.userId, username: principal.username, isAdmin: principal.isAdmin }
    : undefined;
}

function transferToken(request: FastifyRequest): string | undefined {
  const value = request.headers[TRANSFER_TOKEN_HEADER.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
