import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RepositoryAdmin } from '../../monorepo/repository-admin.js';
import type { RouteContext } from '../deps.js';
import { requireAdmin } from '../../access/principal.js';
import { routesOf } from './operation.js';
import { repoPathSchema } from './query.js';

const DefaultBranchBody = z.object({
  repo: repoPathSchema,
  /** `main` or `refs/heads/main`; must exist. */
  branch: z.string().min(1).max(512),
});
const RepoQuery = z.object({ repo: repoPathSchema.describe('Repository path, e.g. /import/foo') });

/**
 * Administrator-only repository changes (the same as `mega repo set-head|delete`): the default
 * branch (HEAD), and deleting a repository with its b-link in one transaction.
 */
export async function repositoryAdminRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  admin: RepositoryAdmin,
): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'PUT',
    path: '/api/v1/repos/default-branch',
    operationId: 'setDefaultBranch',
    tag: 'repositories',
    summary: "Change a repository's default branch (HEAD); the branch must exist (admin)",
    access: 'admin',
    body: DefaultBranchBody,
    responses: {
      200: {
        description: 'The new default branch',
        schema: z.object({ repo: z.string(), defaultBranch: z.string() }),
      },
    },
    errors: { 404: 'Repository or branch not found' },
    handler: async (request) => {
      const body = request.body;
      const repository = await admin.setDefaultBranch(body.repo, body.branch);
      return { repo: repository.path, defaultBranch: repository.headRef.slice('refs/heads/'.length) };
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/repos',
    operationId: 'deleteRepository',
    tag: 'repositories',
    summary: 'Delete a repository and remove its b-link in one directory commit (admin)',
    access: 'admin',
    query: RepoQuery,
    responses: {
      200: {
        description: 'Deleted',
        schema: z.object({ repo: z.string(), deleted: z.boolean(), unlinked: z.boolean() }),
      },
    },
    errors: {
      404: 'Repository not found',
      // The b-link removal retries a moved directory head a few times, then gives up (ref_conflict).
      409: 'The Mega directory kept changing concurrently (`ref_conflict`); retry',
    },
    handler: async (request) => {
      const user = requireAdmin(request.principal);
      const query = request.query;
      const result = await admin.deleteRepository(query.repo, user.username);
      ctx.logger.info({ repo: query.repo, by: user.username }, 'repository deleted');
      return { repo: query.repo, deleted: true, unlinked: result.unlinked };
    },
  });
}
