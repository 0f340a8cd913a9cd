import { invalid } from '../platform/errors.js';

/** Roles on paths, weakest first: each includes the rights of those before it. */
export const ROLES = ['read', 'write', 'maintain', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who sees a path: anyone, any signed-in user, or holders of `read` on it. */
export const VISIBILITIES = ['public', 'internal', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/**
 * What a token may be used for: `read` caps its user's roles at `read`, `write` at `maintain`;
 * only `admin` lets an administrator's token act as administrator (and use the `admin` role).
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Longest lifetime a token may be given, in days (CLI `--expires`, REST `expiresInDays`). */
export const MAX_TOKEN_DAYS = 3650;

/** Scopes of a token made without saying: everything but administration. */
export const DEFAULT_SCOPES: readonly Scope[] = ['read', 'write'];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** True when `role` includes the rights of `needed`. */
export function includes(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && roleRank(role) >= roleRank(needed);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function parseRole(value: string): Role {
  if (!isRole(value))
    throw invalid('role_invalid', `role must be one of ${ROLES.join(', ')}`, { role: value });
  return value;
}

export function parseVisibility(value: string): Visibility {
  if (!(VISIBILITIES as readonly string[]).includes(value)) {
    throw invalid('visibility_invalid', `visibility must be one of ${VISIBILITIES.join(', ')}`, {
      visibility: value,
    });
  }
  return value as Visibility;
}

/** Parses a comma list (`read,write`); unknown scopes are refused, duplicates dropped. */
export function parseScopes(values: readonly string[]): Scope[] {
  const scopes = new Set<Scope>();
  for (const value of values.flatMap((entry) => entry.split(','))) {
    const scope = value.trim();
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw invalid('scope_invalid', `token scopes are ${SCOPES.join(', ')}`, { scope });
    }
    scopes.add(scope as Scope);
  }
  if (scopes.size === 0) throw invalid('scope_invalid', 'a token needs at least one scope');
  return SCOPES.filter((scope) => scopes.has(scope));
}

/** The strongest role a token with `scopes` may exercise. */
export function scopeCeiling(scopes: readonly Scope[]): Role {
  if (scopes.includes('admin')) return 'admin';
  return scopes.includes('write') ? 'maintain' : 'read';
}
