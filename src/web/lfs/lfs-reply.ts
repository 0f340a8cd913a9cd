import type { FastifyReply, FastifyRequest } from 'fastify';
import { LFS_MEDIA_TYPE } from '../../lfs/lfs-types.js';
import { HTTP_STATUS_BY_KIND, MegaError } from '../../platform/errors.js';
import { AUTH_REALM, RETRY_AFTER_SECONDS, toMegaError } from '../error-handler.js';
import type { RepoRouteHandler, RepoRouteMatch } from '../repo-router.js';
import { baseUrl } from '../api/query.js';
import { discardUnreadBody } from '../request-body.js';

/**
 * LFS clients read errors as `{ message, request_id }` in the LFS media type
 * (git-lfs docs/api/batch.md, "Response Errors"), and a 401 must carry `LFS-Authenticate` so
 * git-lfs asks its credential helper instead of failing. A lock conflict also carries the
 * existing `lock` (locking.md, "Lock Exists").
 */
export function sendLfsError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  // A full disk while storing an object is a 503 the client may retry, as everywhere else.
  const mega =
    error instanceof Error
      ? toMegaError(error)
      : new MegaError('internal', 'internal_error', 'internal server error');
  const status = HTTP_STATUS_BY_KIND[mega.kind];
  if (status >= 500) request.log.error({ err: error }, 'LFS request failed');
  if (mega.kind === 'unauthorized') void reply.header('LFS-Authenticate', `Basic realm="${AUTH_REALM}"`);
  if (mega.kind === 'unavailable') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
  // A refused upload may leave body bytes unread: the connection closes once they have been read
  // and dropped (bounded), so the client is not reset before it reads this answer.
  if (!request.raw.complete) {
    void reply.header('Connection', 'close');
    discardUnreadBody(request, reply);
  }
  const body: Record<string, unknown> = { message: mega.message, request_id: request.id, code: mega.code };
  if (mega.details.lock !== undefined) body.lock = mega.details.lock;
  return reply.status(status).type(LFS_MEDIA_TYPE).send(body);
}

/** Sends a JSON body in the LFS media type. */
export function sendLfsJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type(LFS_MEDIA_TYPE).send(body);
}

/** Wraps a repository route so every failure is answered in the LFS error shape. */
export function lfsRoute(
  handler: (request: FastifyRequest, reply: FastifyReply, match: RepoRouteMatch) => Promise<FastifyReply>,
): RepoRouteHandler {
  return async (request, reply, match) => {
    try {
      return await handler(request, reply, match);
    } catch (error) {
      return sendLfsError(request, reply, error);
    }
  };
}

/** The LFS endpoint as the client addressed it, e.g. `http://host:8000/team/app.git/info/lfs`. */
export function lfsEndpointUrl(
  request: FastifyRequest,
  config: { readonly publicUrl?: string | undefined },
): string {
  const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
  const marker = '/info/lfs';
  const base = path.slice(0, path.lastIndexOf(`${marker}/`) + marker.length);
  return `${baseUrl(request, config)}${base}`;
}
