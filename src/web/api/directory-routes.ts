import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireRead } from '../principal.js';
import { listDirectory } from './directory-listing.js';
import { baseUrl, parseQuery } from './query.js';

const DirectoryQuery = z.object({ path: z.string().max(1024).default('/') });

/** `GET /api/v1/directory?path=/projects`: the Mega directory at a path, with its clone rule. */
export async function directoryRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get('/api/v1/directory', async (request) => {
    requireRead(request.principal, ctx.config.anonymousRead);
    const query = parseQuery(DirectoryQuery, request);
    const path = query.path.startsWith('/') ? query.path : `/${query.path}`;
    return listDirectory(ctx.repositories, path, baseUrl(request, ctx.config));
  });
}
