import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { DirectorySchema } from './api-schemas.js';
import { listDirectory } from './directory-listing.js';
import { routesOf } from './operation.js';
import { baseUrl } from './query.js';

const DirectoryQuery = z.object({
  path: z.string().max(1024).default('/').describe('Directory path, default /'),
});

/** `GET /api/v1/directory?path=/projects`: the Mega directory at a path, with its clone rule. */
export async function directoryRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'GET',
    path: '/api/v1/directory',
    operationId: 'getDirectory',
    tag: 'directory',
    summary:
      'The Mega directory at a path: entries you may see (b-links shown as repositories), clone URL and clone rule',
    access: 'read',
    query: DirectoryQuery,
    responses: { 200: { description: 'The directory', schema: DirectorySchema } },
    errors: { 404: 'No such path, or one you may not read' },
    handler: async (request) => {
      const query = request.query;
      const path = query.path.startsWith('/') ? query.path : `/${query.path}`;
      return listDirectory(ctx.repositories, path, baseUrl(request, ctx.config), await request.permissions());
    },
  });
}
