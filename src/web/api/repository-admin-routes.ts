import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RepositoryAdmin } from '../../monorepo/repository-admin.js';
import type { RouteContext } from '../deps.js';
import { requireAdmin } from '../principal.js';
import { parseInput, parseQuery, repoPathSchema } from './query.js';

const DefaultBranchBody = z.object({
  repo: repoPathSchema,
  /** `main` or `refs/heads/main`; must exist. */
  branch: z.string().min(1).max(512),
});
const RepoQuery = z.object({ repo: repoPathSchema });

/**
 * Administrator-only repository changes (the same as `mega repo set-head|delete`): the default
 * branch (HEAD), and deleting a repository with its b-link in one transaction.
 */
export async function repositoryAdminRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  admin: RepositoryAdmin,
): Promise<void> {
  app.put('/api/v1/repos/default-branch', async (request) => {
    requireAdmin(request.principal);
    const body = parseInput(DefaultBranchBody, request.body, 'body');
    const repository = await admin.setDefaultBranch(body.repo, body.branch);
    return { repo: repository.path, default_branch: repository.headRef.slice('refs/heads/'.length) };
  });

  app.delete('/api/v1/repos', async (request) => {
    const user = requireAdmin(request.principal);
    const query = parseQuery(RepoQuery, request);
    const result = await admin.deleteRepository(query.repo, user.username);
    ctx.logger.info({ repo: query.repo, by: user.username }, 'repository deleted');
    return { repo: query.repo, deleted: true, unlinked: result.unlinked };
  });
}
