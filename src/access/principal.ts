import { forbidden, unauthorized } from '../platform/errors.js';
import type { Role, Scope } from './roles.js';

/**
 * A credential that works on one path only: an SSH deploy key, or the short-lived LFS token an
 * SSH session hands out (`src/ssh`). Outside `path` the principal can read and do nothing, public
 * paths included; inside it, at most `role`.
 */
export interface PathLimit {
  readonly path: string;
  /** The most the credential may do at or below `path`. */
  readonly role: Role;
  /**
   * Deploy keys: `role` is granted by the key itself, whatever the grants of the user who added
   * it. Otherwise the user's own grants apply, capped by `role`.
   */
  readonly granted: boolean;
}

/**
 * Who is making a request: set on every HTTP request by the authentication hook
 * (`src/web/auth.ts`) and handed to the services that decide what the caller may do.
 * `isAdmin` is the effective administrator right: the user's flag AND a token with the `admin`
 * scope, so a read-only token of an administrator reads like anyone else's.
 */
export type Principal =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: number;
      readonly username: string;
      readonly isAdmin: boolean;
      /** The presented token's scopes. */
      readonly scopes: readonly Scope[];
      /** Set for credentials bound to one path (deploy keys, SSH-issued LFS tokens). */
      readonly limit?: PathLimit;
    };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** Resolves a presented token to its user, or null when the token is unknown, expired or revoked. */
export type TokenAuthenticator = (token: string) => Promise<Principal | null>;

/** Throws 401 (with a challenge) unless a token authenticated the request. */
export function requireUser(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') {
    throw unauthorized('authentication_required', 'authentication required: use a token');
  }
  return principal;
}

/** Throws 401 for anonymous requests and 403 for users without the (effective) admin right. */
export function requireAdmin(principal: Principal): UserPrincipal {
  const user = requireUser(principal);
  if (!user.isAdmin)
    throw forbidden('admin_required', 'administrator rights required (and a token with the admin scope)');
  return user;
}
