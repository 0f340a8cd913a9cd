import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from '../api/operation.js';

const NumberParams = z.object({
  number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Merge request number'),
});

const MergeRequestCommitsSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        subject: z.string().describe('First line of the message'),
        message: z.string(),
        author: z.object({
          name: z.string(),
          email: z.string(),
          time: z.int().describe('Seconds since the epoch'),
        }),
      }),
    ),
    truncated: z.boolean().describe('More than 1,000 commits: the newest 1,000 are listed'),
  })
  .register(components, { id: 'MergeRequestCommits' });

/** `GET /api/v1/merge-requests/:number/commits`: the commits a merge request's push proposes. */
export async function commitListRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number/commits',
    operationId: 'listMergeRequestCommits',
    tag: 'merge requests',
    summary: 'The pushed commits of a merge request (after the view commit it is based on), oldest first',
    access: 'read',
    params: NumberParams,
    responses: { 200: { description: 'The commits', schema: MergeRequestCommitsSchema } },
    errors: { 404: 'No such merge request (or one you cannot read)' },
    handler: async (request) => {
      const { commits, truncated } = await ctx.review.mergeRequests.commits(
        request.params.number,
        await request.permissions(),
      );
      return { items: commits, truncated };
    },
  });
}
