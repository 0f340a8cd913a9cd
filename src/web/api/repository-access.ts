import { notFound } from '../../platform/errors.js';
import { RepositoryBrowser } from '../../repo/browse/repository-browser.js';
import type { RouteContext } from '../deps.js';
import { normalizeRepoPath } from '../repo-router.js';
import type { Permissions } from '../../access/permissions.js';

/**
 * Opens a repository for reading through the server's resolver (so the API sees exactly what
 * `git clone` of the same path sees, including the Mega directory's views and its refusals).
 */
export async function openBrowser(
  ctx: RouteContext,
  permissions: Permissions,
  rawPath: string,
): Promise<RepositoryBrowser> {
  const path = normalizeRepoPath(rawPath);
  permissions.requireRead(path);
  const repository = await ctx.repositories.resolve(path, 'read', permissions);
  if (!repository.exists) throw notFound('repository_not_found', 'repository not found', { path });
  return new RepositoryBrowser(repository, { displayLimit: ctx.config.limits.maxDisplayBytes });
}
