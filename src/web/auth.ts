import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isMegaError, rateLimited, unauthorized, type MegaError } from '../platform/errors.js';
import { AuthFailureLimiter } from './auth-failures.js';
import type { AccessPolicy } from '../access/access-policy.js';
import type { Permissions } from '../access/permissions.js';
import { ANONYMOUS, type Principal, type TokenAuthenticator } from '../access/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook before any handler runs. */
    principal: Principal;
    /**
     * What the principal may do on which path (`src/access/permissions.ts`): loaded on first use
     * and kept for the rest of the request.
     */
    permissions(): Promise<Permissions>;
  }
}

/**
 * Extracts a token from `Authorization`: HTTP Basic (the token is the password; git sends the
 * user name it was given, which is ignored) or `Bearer`. Returns undefined when no credential is
 * presented.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) throw unauthorized('authorization_malformed', 'malformed Authorization header');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (value === '') throw unauthorized('authorization_malformed', 'empty bearer token');
    return value;
  }
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    // A user name alone (no password) is what git sends before asking for credentials.
    return password === '' ? undefined : password;
  }
  throw unauthorized('authorization_scheme_unsupported', 'unsupported authorization scheme', {
    scheme,
  });
}

/**
 * Registers the hook that sets `request.principal`. A presented but unknown token is a 401 even on
 * routes that allow anonymous access, so a typo in a credential never silently downgrades.
 * Failures are logged and limited per client address (`AuthFailureLimiter`: 429 past the limit).
 */
/** URLs of the LFS API under a repository (`/{repo}.git/info/lfs/…`). */
function isLfsUrl(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return !path.startsWith('/api/') && !path.startsWith('/ui/') && path.includes('/info/lfs/');
}

/** Health and metrics endpoints: answered without user authentication. */
const OPERATIONAL_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function registerAuthentication(
  app: FastifyInstance,
  authenticate: TokenAuthenticator,
  policy: AccessPolicy,
  failures: AuthFailureLimiter = new AuthFailureLimiter(),
): void {
  const loaded = new WeakMap<FastifyRequest, Promise<Permissions>>();
  app.decorateRequest('principal', null as never);
  app.decorateRequest('permissions', function (this: FastifyRequest) {
    let permissions = loaded.get(this);
    if (!permissions) {
      permissions = policy.permissionsOf(this.principal);
      loaded.set(this, permissions);
    }
    return permissions;
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.principal = ANONYMOUS;
    // Probes and scrapers are not users: `/metrics` checks its own token (MEGA_METRICS_TOKEN).
    if (OPERATIONAL_PATHS.has(request.url.split('?')[0] ?? '')) return;
    try {
      const token = tokenFromAuthorization(request.headers.authorization);
      if (token === undefined) return;
      const principal = await authenticate(token);
      if (!principal) throw unauthorized('token_invalid', 'invalid, expired or revoked token');
      // A path-bound credential (the LFS token an SSH session hands out) is for the LFS API only:
      // elsewhere it could, say, mint its user a token without the bound.
      if (principal.kind === 'user' && principal.limit && !isLfsUrl(request.url)) {
        throw unauthorized('token_invalid', 'this token is valid for the Git LFS API only');
      }
      request.principal = principal;
    } catch (error) {
      if (isMegaError(error, 'unauthorized')) throw refuseFailure(request, error, failures);
      throw error;
    }
  });
}

/**
 * Logs a failed authentication (address, path without its query, the reason; never the
 * credential) and turns it into a 429 once the address has failed too often.
 */
function refuseFailure(request: FastifyRequest, error: MegaError, failures: AuthFailureLimiter): MegaError {
  const retryAfter = failures.recordFailure(request.ip);
  const facts = { address: request.ip, path: request.url.split('?')[0], reason: error.code };
  if (retryAfter === undefined) {
    request.log.warn(facts, 'authentication failed');
    return error;
  }
  request.log.warn({ ...facts, retryAfter }, 'authentication failed: rate limited');
  return rateLimited(
    'auth_rate_limited',
    'too many failed authentications from your address: try again later',
    {
      retryAfter,
    },
  );
}
