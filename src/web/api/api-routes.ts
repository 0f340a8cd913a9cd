import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';
import { directoryRoutes } from './directory-routes.js';
import { renderDocsPage } from './docs-page.js';
import { openApiDocument } from './openapi.js';
import { repositoryAdminRoutes } from './repository-admin-routes.js';
import { repositoryRoutes } from './repository-routes.js';
import { tokenRoutes } from './token-routes.js';

/** Version of the REST API reported in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/** The REST API of the web UI: directory, code browsing, and the OpenAPI document with its docs page. */
export async function apiRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Server-Timing on every API response: the time spent in the server, for clients and benches.
  const started = new WeakMap<object, bigint>();
  app.addHook('onRequest', async (request) => {
    started.set(request, process.hrtime.bigint());
  });
  app.addHook('onSend', async (request, reply) => {
    const start = started.get(request);
    if (start !== undefined) {
      void reply.header(
        'Server-Timing',
        `app;dur=${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)}`,
      );
    }
  });
  const document = openApiDocument(API_VERSION);
  const docsPage = renderDocsPage(document);
  app.get('/api/openapi.json', async () => document);
  app.get('/api/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage));
  await directoryRoutes(app, ctx);
  await repositoryRoutes(app, ctx);
  await repositoryAdminRoutes(app, ctx, ctx.repositoryAdmin);
  await tokenRoutes(app, ctx);
}
