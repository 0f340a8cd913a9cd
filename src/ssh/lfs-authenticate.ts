import type { UserPrincipal } from '../access/principal.js';
import { authorizeLfs, type LfsAccessDeps } from './lfs-access.js';
import type { LfsSshTokens } from './lfs-ssh-token.js';

export interface LfsAuthenticateDeps extends LfsAccessDeps {
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
 * JSON on stdout. The caller must already be allowed what the operation needs (`authorizeLfs`:
 * read for a download, a push's rights for an upload), so a refusal comes now, with the reason,
 * rather than at the batch request.
 */
export async function lfsAuthenticate(
  deps: LfsAuthenticateDeps,
  request: LfsAuthenticateRequest,
): Promise<string> {
  const { repoPath: path, principal } = request;
  await authorizeLfs(deps, path, request.operation, principal);
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
