import { forbidden, unauthorized } from '../platform/errors.js';
import type { Scope } from './roles.js';

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
