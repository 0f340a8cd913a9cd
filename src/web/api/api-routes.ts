import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { accessRoutes } from './access-routes.js';
import { browseRoutes } from './browse-routes.js';
import { directoryRoutes } from './directory-routes.js';
import { renderDocsPage } from './docs-page.js';
import { groupRoutes } from './group-routes.js';
import { commitRoutes } from './commit-routes.js';
import { routesOf } from './operation.js';
import { rawRoutes } from './raw-routes.js';
import { repositoryAdminRoutes } from './repository-admin-routes.js';
import { repositoryRoutes } from './repository-routes.js';
import { searchRoutes } from './search-routes.js';
import { tokenRoutes } from './token-routes.js';
import { sshKeyRoutes } from './ssh-key-routes.js';

/** Version of the REST API reported in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/** The REST API of the web UI: directory, code browsing, and the OpenAPI document with its docs page. */
export async function apiRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  // Both are built on first request: by then every area has registered its operations.
  let docsPage: string | undefined;
  route({
    method: 'GET',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'documentation',
    summary: 'This document (OpenAPI 3.1)',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
    handler: async () => ctx.operations.document(API_VERSION),
  });
  route({
    method: 'GET',
    path: '/api/docs',
    operationId: 'getApiDocs',
    tag: 'documentation',
    summary: 'The API reference as an HTML page',
    access: 'public',
    responses: { 200: { description: 'The reference page', mediaType: 'text/html' } },
    handler: async (_request, reply) => {
      docsPage ??= renderDocsPage(ctx.operations.document(API_VERSION));
      return reply.type('text/html; charset=utf-8').send(docsPage);
    },
  });
  await directoryRoutes(app, ctx);
  await repositoryRoutes(app, ctx);
  await browseRoutes(app, ctx);
  await rawRoutes(app, ctx);
  await repositoryAdminRoutes(app, ctx, ctx.repositoryAdmin);
  await tokenRoutes(app, ctx);
  await sshKeyRoutes(app, ctx);
  await accessRoutes(app, ctx);
  await groupRoutes(app, ctx);
  await commitRoutes(app, ctx);
  await searchRoutes(app, ctx);
}
