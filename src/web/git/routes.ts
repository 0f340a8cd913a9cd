import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { PktLineReader } from '../../git/pkt-line-reader.js';
import { encodeServiceHeader, type GitService } from '../../git/protocol/advertisement.js';
import { encodeV2Advertisement } from '../../git/protocol/v2.js';
import {
  forbidden,
  HTTP_STATUS_BY_KIND,
  isMegaError,
  notFound,
  type MegaError,
} from '../../platform/errors.js';
import { advertiseRefsV0 } from '../../repo/advertise.js';
import { receivePack } from '../../repo/receive-pack.js';
import { pushLimits, type ServedRepository } from '../../repo/served-repository.js';
import { outcomeLabel, uploadPackV0 } from '../../repo/upload-pack.js';
import { serveV2Command } from '../../repo/upload-pack-v2.js';
import { GitResponseWriter, failureResponse } from '../../repo/response-writer.js';
import { baseUrl } from '../api/query.js';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../../access/principal.js';
import { requirePushAccess } from '../../access/push-guard.js';
import type { RepoRouteMatch } from '../repo-router.js';
import { discardUnreadBody, requestBodyStream } from '../request-body.js';
import { RETRY_AFTER_SECONDS, toMegaError } from '../error-handler.js';
import { ResponseStream } from './stream-sink.js';
import { followPush } from '../../review/push-follow-ups.js';

const SERVICES: readonly GitService[] = ['git-upload-pack', 'git-receive-pack'];

/** `Git-Protocol: version=2` (http-protocol.txt, protocol-v2.txt "HTTP Transport"). */
function protocolVersion(request: FastifyRequest): 0 | 1 | 2 {
  const header = String(request.headers['git-protocol'] ?? '');
  const versions = header
    .split(':')
    .filter((part) => part.startsWith('version='))
    .map((part) => Number(part.slice('version='.length)));
  if (versions.includes(2)) return 2;
  return versions.includes(1) ? 1 : 0;
}

/**
 * Smart HTTP (http-protocol.txt): `GET …/info/refs?service=…`, `POST …/git-upload-pack`,
 * `POST …/git-receive-pack`, registered on the repository router so `{repo}` may be any path.
 */
export async function gitRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const uploadPackOptions = { packCache: ctx.packCache, walkRecorder: ctx.walkRecorder };
  const limits = pushLimits(ctx.config.limits);
  const walkRecorder = ctx.walkRecorder;
  const requests = new Counter({
    name: 'mega_git_requests_total',
    help: 'Smart HTTP requests by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    registers: [ctx.metrics],
  });
  const sentBytes = new Counter({
    name: 'mega_git_response_bytes_total',
    help: 'Bytes sent in smart HTTP responses',
    labelNames: ['service'] as const,
    registers: [ctx.metrics],
  });

  /**
   * Resolves the repository after the access checks. Read access is checked before resolving and
   * every "not found" reads the same, so a private path answers exactly like a missing one (404;
   * 401 with the challenge for anonymous callers, so git asks for credentials). A push needs a
   * token first (401 before any upload), then `write` (`requirePushAccess`), and goes through the
   * per-ref rules of the push guard.
   */
  const open = async (
    request: FastifyRequest,
    match: RepoRouteMatch,
    service: GitService,
  ): Promise<ServedRepository> => {
    if (service === 'git-receive-pack') requireUser(request.principal);
    const permissions = await request.permissions();
    try {
      permissions.requireRead(match.repoPath);
      if (service === 'git-upload-pack')
        return await ctx.repositories.resolve(match.repoPath, 'read', permissions);
      const repository = await ctx.repositories.resolve(match.repoPath, 'write', permissions);
      requirePushAccess(permissions, repository);
      return ctx.pushGuard.guard(repository, permissions);
    } catch (error) {
      if (isMegaError(error, 'not_found')) throw notFoundAt(match.repoPath);
      throw error;
    }
  };

  /**
   * The request body as packets: its command section (everything `read()` returns, after gzip
   * decoding) is capped at `limits.maxCommandBytes` like git http-backend's request buffer, so
   * neither a flood of lines nor a gzip bomb is held; a push's pack after it streams uncounted.
   */
  const commandReader = (request: FastifyRequest) =>
    new PktLineReader(requestBodyStream(request, ctx.config.limits.maxRequestBytes), {
      maxPacketBytes: ctx.config.limits.maxCommandBytes,
    });

  /**
   * Runs a git service into a streamed response; errors become `ERR` packets git prints. A body
   * left unread (a refused request) is dropped, then its connection closed (`discardUnreadBody`).
   */
  const stream = (
    request: FastifyRequest,
    reply: FastifyReply,
    service: GitService,
    run: (out: ResponseStream) => Promise<string>,
  ): FastifyReply => {
    // In flight until the response is sent or dropped: the search indexer waits meanwhile (and
    // the request's end asks for its garbage to be collected, as over SSH).
    reply.raw.once('close', ctx.gitRequests.begin({ fetch: service === 'git-upload-pack' }));
    const out = new ResponseStream();
    run(out).then(
      (outcome) => {
        requests.inc({ service, outcome });
        sentBytes.inc({ service }, out.bytes);
        out.end();
      },
      (error: unknown) => {
        requests.inc({ service, outcome: 'error' });
        reply.log.warn({ err: error, service }, 'git request failed');
        // A full disk or a lost database says so; anything else stays an internal error.
        const message = error instanceof Error ? describeError(toMegaError(error)) : 'internal server error';
        // Band 3 once the response is multiplexed, else an ERR packet.
        if (!out.body.destroyed) out.body.end(failureResponse(message, out.sideband));
      },
    );
    discardUnreadBody(request, reply);
    void reply
      .header('Content-Type', `application/x-${service}-result`)
      .header('Cache-Control', 'no-cache, max-age=0, must-revalidate');
    return reply.send(out.body);
  };

  /** A refused command section names the setting that raises the cap. */
  const describeError = (error: MegaError): string =>
    isMegaError(error, 'too_large', 'command_section_too_large')
      ? `${error.message} (limits.maxCommandBytes, MEGA_MAX_COMMAND_BYTES)`
      : error.message;

  ctx.repoRouter.add({
    method: 'GET',
    suffix: '/info/refs',
    handler: async (request, reply, match) => {
      const service = (request.query as Record<string, unknown>).service;
      if (typeof service !== 'string' || !SERVICES.includes(service as GitService)) {
        throw forbidden('dumb_http_unsupported', 'only the smart HTTP protocol is served; use a git client');
      }
      const gitService = service as GitService;
      let repository: ServedRepository;
      try {
        repository = await open(request, match, gitService);
      } catch (error) {
        // git prints a text/plain error body as `remote: …` lines (remote-curl.c show_http_message),
        // so refusals such as the Mega directory's clone rules reach the user. 401 keeps its challenge.
        if (!isMegaError(error) || error.kind === 'unauthorized') throw error;
        if (error.kind === 'unavailable') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
        return reply
          .status(HTTP_STATUS_BY_KIND[error.kind])
          .header('Content-Type', 'text/plain; charset=utf-8')
          .header('Cache-Control', 'no-cache, max-age=0, must-revalidate')
          .send(`${error.message}\n`);
      }
      const version = protocolVersion(request);
      const body =
        version === 2 && gitService === 'git-upload-pack'
          ? encodeV2Advertisement()
          : Buffer.concat([
              encodeServiceHeader(gitService),
              await advertiseRefsV0(repository, gitService, { version1: version === 1 }),
            ]);
      requests.inc({ service: gitService, outcome: 'advertised' });
      return reply
        .header('Content-Type', `application/x-${gitService}-advertisement`)
        .header('Cache-Control', 'no-cache, max-age=0, must-revalidate')
        .send(body);
    },
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/git-upload-pack',
    handler: async (request, reply, match) => {
      const repository = await open(request, match, 'git-upload-pack');
      const reader = commandReader(request);
      const read = () => reader.read();
      const v2 = protocolVersion(request) === 2;
      return stream(request, reply, 'git-upload-pack', async (out) => {
        if (v2) return serveV2Command(repository, read, out, uploadPackOptions);
        const result = await uploadPackV0(
          repository,
          read,
          (fetch) => new GitResponseWriter(out, fetch.sideband, fetch.noProgress),
          uploadPackOptions,
        );
        return outcomeLabel(result);
      });
    },
  });

  ctx.repoRouter.add({
    method: 'POST',
    suffix: '/git-receive-pack',
    handler: async (request, reply, match) => {
      const repository = await open(request, match, 'git-receive-pack');
      const principal = requireUser(request.principal);
      const reader = commandReader(request);
      return stream(request, reply, 'git-receive-pack', async (out) => {
        const outcome = await receivePack({
          repository,
          read: () => reader.read(),
          rest: () => reader.rest(),
          // The request body ends with the pack: bytes after its trailer are refused.
          packEndsAt: 'input',
          principal,
          baseUrl: baseUrl(request, ctx.config),
          limits,
          out,
        });
        followPush({ walkRecorder, events: ctx.review.events }, repository, principal.username, outcome);
        return outcome.unpackError ? 'unpack_error' : 'pushed';
      });
    },
  });
}

/**
 * The one answer for a path that is missing or that the caller may not read (the same text as
 * `Permissions.requireRead`'s), so the two cannot be told apart.
 */
function notFoundAt(path: string): MegaError {
  return notFound('repository_not_found', `${path}: not found`, { path });
}
