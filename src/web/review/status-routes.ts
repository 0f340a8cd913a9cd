import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../access/principal.js';
import { STATUS_STATES } from '../../review/commit-statuses.js';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from '../api/operation.js';
import { repoPathSchema } from '../api/query.js';
import { listSchema } from '../api/pagination.js';
import { normalizeRepoPath } from '../repo-router.js';

const RepoQuery = z.object({ repo: repoPathSchema.describe('Repository path, e.g. /import/foo') });
const ShaParams = z.object({
  sha: z.string().min(1).max(128).describe('Full commit id (40 or 64 hex digits)'),
});
// Generous bounds here (a huge body is refused before anything reads it); the service checks the
// real limits with their own error codes: context ≤ 128, description ≤ 140, URL ≤ 2048 http(s).
const StatusBody = z.object({
  state: z
    .string()
    .max(64)
    .describe(`One of ${STATUS_STATES.join(', ')}`),
  context: z.string().max(1024).optional().describe('What reports it, e.g. ci/build (default "default")'),
  targetUrl: z.string().max(8192).optional().describe('Link to the build (http or https)'),
  /** GitHub's spelling, so CI integrations written for GitHub's status API post here unchanged. */
  target_url: z
    .string()
    .max(8192)
    .optional()
    .describe(
      "GitHub's name for targetUrl, accepted so CI tools made for GitHub's status API work unchanged",
    ),
  description: z.string().max(4096).optional().describe('Short summary (≤ 140 characters)'),
});

const CommitStatusSchema = z
  .object({
    repoPath: z.string(),
    commit: z.string(),
    context: z.string(),
    state: z.enum(STATUS_STATES),
    targetUrl: z.string().optional(),
    description: z.string().optional(),
    creator: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .register(components, { id: 'CommitStatus' });

const statusErrors = {
  404: 'Repository not found, or no such commit in it',
} as const;

/**
 * Commit statuses over REST, GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}` in this API's
 * layout (the repository path in `?repo=`, as every `/api/v1/repos/…` route):
 * `POST /api/v1/repos/statuses/:sha`, `GET /api/v1/repos/statuses/:sha` (latest per context) and
 * `GET /api/v1/repos/commits/:sha/status` (the combined state).
 */
export async function statusRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  const service = ctx.review.statuses;

  route({
    method: 'POST',
    path: '/api/v1/repos/statuses/:sha',
    operationId: 'createCommitStatus',
    tag: 'checks',
    summary: 'Set the status of a context on a commit (needs write on the repository)',
    access: 'user',
    params: ShaParams,
    query: RepoQuery,
    body: StatusBody,
    responses: { 201: { description: 'The status as recorded', schema: CommitStatusSchema } },
    errors: { ...statusErrors, 403: 'No write role on the repository' },
    handler: async (request, reply) => {
      const user = requireUser(request.principal);
      const body = request.body;
      const targetUrl = body.targetUrl ?? body.target_url;
      const status = await service.post(
        normalizeRepoPath(request.query.repo),
        request.params.sha,
        {
          state: body.state,
          ...(body.context !== undefined ? { context: body.context } : {}),
          ...(targetUrl !== undefined ? { targetUrl } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
        },
        { username: user.username, authority: await request.permissions() },
      );
      return reply.status(201).send(status);
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/statuses/:sha',
    operationId: 'listCommitStatuses',
    tag: 'checks',
    summary: 'The latest status of every context of a commit',
    access: 'read',
    params: ShaParams,
    query: RepoQuery,
    responses: { 200: { description: 'Sorted by context', schema: listSchema(CommitStatusSchema) } },
    errors: statusErrors,
    handler: async (request) => ({
      items: await service.list(
        normalizeRepoPath(request.query.repo),
        request.params.sha,
        await request.permissions(),
      ),
    }),
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/commits/:sha/status',
    operationId: 'getCombinedCommitStatus',
    tag: 'checks',
    summary: 'The combined state of a commit: failure, pending (also with no status) or success',
    access: 'read',
    params: ShaParams,
    query: RepoQuery,
    responses: {
      200: {
        description: 'The combined state and every context',
        schema: z.object({
          repoPath: z.string(),
          commit: z.string(),
          state: z.enum(['pending', 'success', 'failure']),
          totalCount: z.int(),
          statuses: z.array(CommitStatusSchema),
        }),
      },
    },
    errors: statusErrors,
    handler: async (request) =>
      service.combined(
        normalizeRepoPath(request.query.repo),
        request.params.sha,
        await request.permissions(),
      ),
  });
}
