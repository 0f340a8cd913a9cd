import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireRead, requireUser } from '../principal.js';
import { baseUrl, pagingSchema, parseInput, parseQuery } from '../api/query.js';

const ListQuery = z.object({
  status: z.enum(['open', 'merging', 'merged', 'closed']).optional(),
  path: z.string().min(1).max(1024).optional(),
  author: z.string().min(1).max(255).optional(),
  ...pagingSchema,
});

const NumberParams = z.object({ number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/**
 * Merge requests over REST (SPEC §6): `GET /api/v1/merge-requests` (filters: status, path,
 * author; paged), `GET /api/v1/merge-requests/:number` (with per-file diffs and history), and
 * `POST …/:number/merge|close|reopen`. A merge that conflicts answers 409 with the files.
 */
export async function reviewRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const service = ctx.mergeRequests;
  const numberOf = (request: FastifyRequest) => parseInput(NumberParams, request.params, 'path').number;

  app.get('/api/v1/merge-requests', async (request) => {
    requireRead(request.principal, ctx.config.anonymousRead);
    const query = parseQuery(ListQuery, request);
    const items = await service.list({
      ...(query.status ? { status: query.status } : {}),
      ...(query.path ? { path: query.path.startsWith('/') ? query.path : `/${query.path}` } : {}),
      ...(query.author ? { author: query.author } : {}),
      limit: query.per_page,
      offset: (query.page - 1) * query.per_page,
    });
    return { items, page: query.page, per_page: query.per_page };
  });

  app.get('/api/v1/merge-requests/:number', async (request) => {
    requireRead(request.principal, ctx.config.anonymousRead);
    const detail = await service.show(numberOf(request));
    // Links point where this client reached the server (or the configured public URL).
    return { ...detail, url: service.url(detail.number, baseUrl(request, ctx.config)) };
  });

  for (const action of ['merge', 'close', 'reopen'] as const) {
    app.post(`/api/v1/merge-requests/:number/${action}`, async (request) => {
      const user = requireUser(request.principal);
      return service[action](numberOf(request), { username: user.username });
    });
  }
}
