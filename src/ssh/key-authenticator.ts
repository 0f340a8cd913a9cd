import type { UserPrincipal } from '../access/principal.js';
import { SCOPES } from '../access/roles.js';
import type { SshKeyMatch, SshKeyStore } from '../storage/ssh/ssh-key-store.js';
import { fingerprintOf } from './public-key.js';

/** What authentication reads of storage: keys by fingerprint, and their last use. */
export type SshKeyLookup = Pick<SshKeyStore, 'findByFingerprint' | 'touch'>;

/** Who a presented key is: the stored key, and the principal its sessions act as. */
export interface SshIdentity {
  readonly key: SshKeyMatch;
  readonly principal: UserPrincipal;
  /** For logs and the greeting: `alice`, or `deploy key 7 (ci) on /projects/app`. */
  readonly label: string;
}

/**
 * Maps a presented public key to the principal its sessions act as, the way `authenticate`
 * maps a token for HTTP:
 * - a **user key** acts as its user with every right the user has (an administrator's key acts
 *   as administrator, like a token with the `admin` scope: the key is the user's own credential);
 * - a **deploy key** acts with `read` (or `write`) on its one path and nothing anywhere else,
 *   recorded as the user who added it (merge requests and push events name them).
 * Keys that are unknown, removed, or whose user was deleted match nothing (the store's foreign
 * keys remove them with the user).
 */
export async function identify(lookup: SshKeyLookup, blob: Buffer): Promise<SshIdentity | undefined> {
  const key = await lookup.findByFingerprint(fingerprintOf(blob));
  if (!key || !Buffer.from(key.publicKey, 'base64').equals(blob)) return undefined;
  const { actsAs } = key;
  if (key.owner.kind === 'user') {
    return {
      key,
      principal: {
        kind: 'user',
        userId: actsAs.id,
        username: actsAs.username,
        isAdmin: actsAs.isAdmin,
        scopes: SCOPES,
      },
      label: actsAs.username,
    };
  }
  const role = key.owner.write ? 'write' : 'read';
  return {
    key,
    principal: {
      kind: 'user',
      userId: actsAs.id,
      username: actsAs.username,
      isAdmin: false,
      scopes: key.owner.write ? ['read', 'write'] : ['read'],
      limit: { path: key.owner.path, role, granted: true },
    },
    label: `deploy key ${key.id} (${key.title}, ${key.owner.write ? 'read-write' : 'read-only'}) on ${key.owner.path}`,
  };
}
