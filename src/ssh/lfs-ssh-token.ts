import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PathLimit } from '../access/principal.js';
import { ROLES, type Role } from '../access/roles.js';
import type { DeploymentSecret } from '../platform/deployment-secret.js';

/**
 * The short-lived credential `git-lfs-authenticate` hands an SSH client for the LFS HTTP API
 * (git-lfs docs/api/authentication.md "SSH"): `Authorization: Bearer mega_sshlfs_<payload>.<mac>`.
 * It names the user, the one repository path and the most it may do there (`read` to download,
 * `write` to upload and lock), and expires after `LFS_SSH_TOKEN_TTL_SECONDS`. Signed with
 * HMAC-SHA256 under a key derived from the deployment secret, so every server accepts it without
 * storing anything; the user is looked up on use, so a deleted user's token stops working.
 */
export const LFS_SSH_TOKEN_PREFIX = 'mega_sshlfs_';
export const LFS_SSH_TOKEN_TTL_SECONDS = 600;
const KEY_INFO = 'mega ssh lfs tokens v1';
const VERSION = 1;
const MAX_TOKEN_LENGTH = 4096;

export interface LfsSshGrant {
  readonly userId: number;
  readonly limit: PathLimit;
  /** Unix seconds. */
  readonly expiresAt: number;
}

interface Payload {
  v: number;
  sub: number;
  path: string;
  role: Role;
  /** A deploy key's grant (its own role) rather than the user's grants capped. */
  dk: boolean;
  exp: number;
}

export class LfsSshTokens {
  readonly #key: Buffer;

  constructor(secret: DeploymentSecret) {
    this.#key = secret.derive(KEY_INFO);
  }

  issue(
    grant: Omit<LfsSshGrant, 'expiresAt'>,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): {
    token: string;
    expiresIn: number;
  } {
    const payload: Payload = {
      v: VERSION,
      sub: grant.userId,
      path: grant.limit.path,
      role: grant.limit.role,
      dk: grant.limit.granted,
      exp: nowSeconds + LFS_SSH_TOKEN_TTL_SECONDS,
    };
    const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return {
      token: `${LFS_SSH_TOKEN_PREFIX}${encoded}.${this.mac(encoded).toString('base64url')}`,
      expiresIn: LFS_SSH_TOKEN_TTL_SECONDS,
    };
  }

  /** The grant of a token this installation issued and that has not expired; else undefined. */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): LfsSshGrant | undefined {
    if (!token.startsWith(LFS_SSH_TOKEN_PREFIX) || token.length > MAX_TOKEN_LENGTH) return undefined;
    const body = token.slice(LFS_SSH_TOKEN_PREFIX.length);
    const dot = body.indexOf('.');
    if (dot <= 0) return undefined;
    const encoded = body.slice(0, dot);
    const signature = Buffer.from(body.slice(dot + 1), 'base64url');
    const wanted = this.mac(encoded);
    if (signature.length !== wanted.length || !timingSafeEqual(signature, wanted)) return undefined;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    if (
      payload.v !== VERSION ||
      !Number.isSafeInteger(payload.sub) ||
      typeof payload.path !== 'string' ||
      !(ROLES as readonly string[]).includes(payload.role) ||
      !(payload.exp > nowSeconds)
    ) {
      return undefined;
    }
    return {
      userId: payload.sub,
      limit: { path: payload.path, role: payload.role, granted: payload.dk === true },
      expiresAt: payload.exp,
    };
  }

  private mac(encoded: string): Buffer {
    return createHmac('sha256', this.#key).update(encoded).digest();
  }
}
