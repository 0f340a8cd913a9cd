/** The permission model's values, as the API accepts them (see src/access/roles.ts). */
export const ROLES = ['read', 'write', 'maintain', 'admin'] as const;
export const VISIBILITIES = ['public', 'internal', 'private'] as const;
export const SCOPES = ['read', 'write', 'admin'] as const;
/** What a token gets when nothing is chosen: reading and writing, within what the caller has. */
export const DEFAULT_SCOPES: readonly string[] = ['read', 'write'];
export const MAX_TOKEN_DAYS = 3650;
