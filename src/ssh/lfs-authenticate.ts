import type { AccessPolicy } from '../access/access-policy.js';
import type { UserPrincipal } from '../access/principal.js';
import { requirePushAccess } from '../access/push-guard.js';
import { isMegaError, notFound } from '../platform/errors.js';
import type { RepositoryResolver } from '../repo/served-repository.js';
import type { LfsSshTokens } from './lfs-ssh-token.js';

export interface LfsAuthenticateDeps {
  readonly access: Pick<AccessPolicy, 'permissionsOf'>;
  readonly repositories: RepositoryResolver;
  readonly tokens: LfsSshTokens;
  /** The HTTP base URL clients reach (`MEGA_PUBLIC_URL`, else the listen address). */
  readonly baseUrl: () => string;
}

export interface LfsAuthenticateRequest {
  readonly repoPath: string;
  readonly operation: 'upload' | 'download';
  readonly principal: UserPrincipal;
}

/**
 * `git-lfs-authenticate <path> upload|download` (git-lfs docs/api/server-discovery.md "SSH"): the
 * LFS endpoint of the repository over HTTP and a short-lived `Authorization` header for it, as
 * JSON on stdout. The caller must already be allowed what the operation needs (read for a
 * download, a push's rights for an upload), checked here exactly as the LFS HTTP routes check
 * them, so a refusal comes now, with the reason, rather than at the batch request.
 */
export async function lfsAuthenticate(
  deps: LfsAuthenticateDeps,
  request: LfsAuthenticateRequest,
): Promise<string> {
  const { repoPath: path, principal } = request;
  const permissions = await deps.access.permissionsOf(principal);
  try {
    permissions.requireRead(path);
    if (request.operation === 'upload') {
      requirePushAccess(permissions, await deps.repositories.resolve(path, 'write', permissions));
    } else {
      const repository = await deps.repositories.resolve(path, 'read', permissions);
      if (!repository.exists) throw notFound('repository_not_found', `${path}: not found`, { path });
    }
  } catch (error) {
    if (isMegaError(error, 'not_found'))
      throw notFound('repository_not_found', `${path}: not found`, { path });
    throw error;
  }
  const { token, expiresIn } = deps.tokens.issue({
    userId: principal.userId,
    limit: {
      path,
      role: request.operation === 'upload' ? 'write' : 'read',
      granted: principal.limit?.granted ?? false,
    },
  });
  const base = deps.baseUrl().replace(/\/+$/, '');
  const href = `${base}${path === '/' ? '' : path}.git/info/lfs`;
  return `${JSON.stringify({ href, header: { Authorization: `Bearer ${token}` }, expires_in: expiresIn })}\n`;
}
