import type { AccessPolicy } from '../access/access-policy.js';
import type { Permissions } from '../access/permissions.js';
import type { UserPrincipal } from '../access/principal.js';
import { requirePushAccess } from '../access/push-guard.js';
import { forbidden, isMegaError, notFound } from '../platform/errors.js';
import type { RepositoryResolver, ServedRepository } from '../repo/served-repository.js';

export interface LfsAccessDeps {
  readonly access: Pick<AccessPolicy, 'permissionsOf'>;
  readonly repositories: RepositoryResolver;
}

/** A repository an LFS command over SSH may use, and the caller's permissions. */
export interface LfsGrant {
  readonly repository: ServedRepository;
  readonly permissions: Permissions;
}

/**
 * The check both LFS commands over SSH make before anything else, the one the LFS HTTP API makes
 * (`src/web/lfs/routes.ts`): a download needs read access to an existing repository; an upload
 * (and locks) a push's rights — `write` on the repository, or on its parent before its first
 * push — on a repository that takes pushes. A path the caller may not read, and a missing one,
 * both answer `<path>: not found`.
 */
export async function authorizeLfs(
  deps: LfsAccessDeps,
  path: string,
  operation: 'upload' | 'download',
  principal: UserPrincipal,
): Promise<LfsGrant> {
  const permissions = await deps.access.permissionsOf(principal);
  try {
    permissions.requireRead(path);
    if (operation === 'upload') {
      const repository = await deps.repositories.resolve(path, 'write', permissions);
      if (!repository.writable)
        throw forbidden('repository_read_only', repository.readOnlyReason ?? 'repository is read-only');
      requirePushAccess(permissions, repository);
      return { repository, permissions };
    }
    const repository = await deps.repositories.resolve(path, 'read', permissions);
    if (!repository.exists) throw notFound('repository_not_found', `${path}: not found`, { path });
    return { repository, permissions };
  } catch (error) {
    if (isMegaError(error, 'not_found'))
      throw notFound('repository_not_found', `${path}: not found`, { path });
    throw error;
  }
}
