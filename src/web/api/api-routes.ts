import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../deps.js';
import { directoryRoutes } from './directory-routes.js';
import { renderDocsPage } from './docs-page.js';
import { openApiDocument } from './openapi.js';
import { repositoryRoutes } from './repository-routes.js';
import { tokenRoutes } from './token-routes.js';

/** Version of the REST API reported in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/** The REST API of the web UI: directory, code browsing, and the OpenAPI document with its docs page. */
export async function apiRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const document = openApiDocument(API_VERSION);
  const docsPage = renderDocsPage(document);
  app.get('/api/openapi.json', async () => document);
  app.get('/api/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage));
  await directoryRoutes(app, ctx);
  await repositoryRoutes(app, ctx);
  await tokenRoutes(app, ctx);
}
