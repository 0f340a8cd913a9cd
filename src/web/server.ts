import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { methodNotAllowed } from './api/method-not-allowed.js';
import { OperationRegistry } from './api/openapi.js';
import { registerAuthentication } from './auth.js';
import type { RouteContext, WebDeps } from './deps.js';
import { frameworkErrors, registerErrorHandler } from './error-handler.js';
import { registerResponseConventions } from './response-conventions.js';
import { RepoRouter } from './repo-router.js';
import { sameOriginGuard } from './same-origin.js';
import { ROUTE_PLUGINS } from './route-plugins.js';
import { nulRefusingJsonParser, refuseNulInUrl } from './text-input.js';

/** Bodies of JSON endpoints (REST, LFS batch) are small; packs and LFS objects are streamed. */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Content types whose body a handler reads as a stream (`requestBodyStream(request, limit)`):
 * git's pack requests and LFS object uploads. Never parsed or buffered by the framework.
 */
export const STREAMED_CONTENT_TYPES = [
  'application/x-git-upload-pack-request',
  'application/x-git-receive-pack-request',
  'application/octet-stream',
];

/**
 * Builds the HTTP server: error mapping, authentication, health and metrics, and every area's
 * routes from `ROUTE_PLUGINS`. Does not listen; `mega serve` (or a test's `inject`) does.
 */
export async function buildServer(deps: WebDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: MAX_JSON_BODY_BYTES,
    // A clone of a big repository can stream for a long time; limits.requestTimeoutMs governs.
    requestTimeout: deps.config.limits.requestTimeoutMs,
    connectionTimeout: 0,
    // Errors met before routing are answered in the project's shape, never Fastify's.
    frameworkErrors,
    // Fastify's router skips a route whose `:param` is longer than this (default 100), so a long
    // group or tenant name got a 404 from the catch-all; the zod schemas judge lengths instead.
    routerOptions: { maxParamLength: 4096 },
    keepAliveTimeout: 30_000,
    // Client address (rate limits, logs) and origin (links) from trusted proxies' X-Forwarded-*.
    ...(deps.config.trustProxy ? { trustProxy: deps.config.trustProxy } : {}),
  });
  registerErrorHandler(app, deps.config.publicUrl);
  registerResponseConventions(app);
  app.addHook('onRequest', async (request) => refuseNulInUrl(request));
  // Collects every route's declared operation for the OpenAPI document; refuses undeclared /api/ routes.
  const operations = new OperationRegistry({ publicUrl: deps.config.publicUrl });
  app.addHook('onRoute', operations.record);
  // A wrong method on a declared REST path: 405 with `Allow`, before credentials or bodies matter.
  app.addHook('onRequest', methodNotAllowed(operations));
  // Before authentication: a cross-site request is refused whatever credentials it carries.
  app.addHook('onRequest', sameOriginGuard(deps.config.publicUrl));
  registerAuthentication(app, deps.authenticate, deps.access);
  app.addContentTypeParser(STREAMED_CONTENT_TYPES, (_request, payload, done) => done(null, payload));
  // LFS clients send `application/vnd.git-lfs+json`; parse it like JSON. Every JSON body and URL
  // is refused with 400 when its text holds NUL (text-input.ts), the same on every database.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    /^application\/(vnd\.git-lfs\+)?json/,
    { parseAs: 'string', bodyLimit: MAX_JSON_BODY_BYTES },
    nulRefusingJsonParser(app.getDefaultJsonParser('error', 'error')),
  );

  const repoRouter = new RepoRouter();
  // Streamed repository routes (LFS uploads) get their body unparsed, whatever its Content-Type.
  app.addHook('onRequest', async (request) => {
    if (repoRouter.streamsBody(request.method, request.url.split('?')[0] ?? '/')) {
      request.headers['content-type'] = 'application/octet-stream';
    }
  });
  const context: RouteContext = { ...deps, repoRouter, operations };
  for (const [name, plugin] of ROUTE_PLUGINS) {
    await app.register(
      async (scope) => {
        await plugin(scope, context);
      },
      { name } as never,
    );
  }
  // Everything not matched by a fixed route may be a repository-scoped URL.
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/*', handler: repoRouter.dispatch });
  return app;
}
