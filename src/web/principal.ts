import { forbidden, unauthorized } from '../platform/errors.js';

/**
 * Who is making a request. Set on every request by the authentication hook (see `auth.ts`);
 * route handlers read `request.principal` and call the `require…` helpers below.
 */
export type Principal =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: number;
      readonly username: string;
      readonly isAdmin: boolean;
    };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** Resolves a presented token to its user, or null when the token is unknown or revoked. */
export type TokenAuthenticator = (token: string) => Promise<Principal | null>;

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** Throws 401 (with a `WWW-Authenticate` challenge) unless a token authenticated the request. */
export function requireUser(principal: Principal): UserPrincipal {
  if (principal.kind !== 'user') {
    throw unauthorized('authentication_required', 'authentication required: use a token');
  }
  return principal;
}

/** Throws 401 for anonymous requests and 403 for users without the admin flag. */
export function requireAdmin(principal: Principal): UserPrincipal {
  const user = requireUser(principal);
  if (!user.isAdmin) throw forbidden('admin_required', 'administrator rights required');
  return user;
}

/** Read access: anyone when anonymous reads are allowed, otherwise a token is needed. */
export function requireRead(principal: Principal, anonymousRead: boolean): void {
  if (!anonymousRead) requireUser(principal);
}
