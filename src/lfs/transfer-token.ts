import { createHmac, timingSafeEqual } from 'node:crypto';
import { unauthorized } from '../platform/errors.js';
import type { LfsOperation } from './lfs-types.js';

/**
 * Short-lived authorization for one object transfer. The batch response hands it to the client
 * in `actions.*.header` (never in the URL); it names the repository, object, operation and, for
 * uploads, the exact size, and is signed with HMAC-SHA256 so any server sharing the key accepts it
 * without a database lookup.
 */
export interface TransferGrant {
  readonly operation: LfsOperation;
  readonly repoPath: string;
  readonly oid: string;
  readonly size: number;
  /** Who asked for the transfer (0 for anonymous downloads). */
  readonly userId: number;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/** The request header carrying the token (a separate header: `Authorization` holds user tokens). */
export const TRANSFER_TOKEN_HEADER = 'Mega-Lfs-Transfer';

/** How long an href stays usable; a transfer that starts in time may run longer. */
export const TRANSFER_TOKEN_TTL_SECONDS = 3600;

const VERSION = 1;

interface TokenPayload {
  v: number;
  op: LfsOperation;
  repo: string;
  oid: string;
  size: number;
  sub: number;
  exp: number;
}

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function createTransferToken(key: Buffer, grant: TransferGrant): string {
  const payload: TokenPayload = {
    v: VERSION,
    op: grant.operation,
    repo: grant.repoPath,
    oid: grant.oid,
    size: grant.size,
    sub: grant.userId,
    exp: grant.expiresAt,
  };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${encoded}.${sign(key, encoded).toString('base64url')}`;
}

const rejected = () =>
  unauthorized('lfs_transfer_token_invalid', 'invalid or expired LFS transfer authorization');

/**
 * Checks a token against what the request is about to do. Every failure is the same 401 so a
 * probe learns nothing about which part was wrong.
 */
export function verifyTransferToken(
  key: Buffer,
  token: string,
  expected: { operation: LfsOperation; repoPath: string; oid: string; nowSeconds: number },
): TransferGrant {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 4096) throw rejected();
  const encoded = token.slice(0, dot);
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const wanted = sign(key, encoded);
  if (signature.length !== wanted.length || !timingSafeEqual(signature, wanted)) throw rejected();
  let payload: TokenPayload;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as TokenPayload;
  } catch {
    throw rejected();
  }
  if (
    payload.v !== VERSION ||
    payload.op !== expected.operation ||
    payload.repo !== expected.repoPath ||
    payload.oid !== expected.oid ||
    !(payload.exp > expected.nowSeconds)
  ) {
    throw rejected();
  }
  return {
    operation: payload.op,
    repoPath: payload.repo,
    oid: payload.oid,
    size: payload.size,
    userId: payload.sub,
    expiresAt: payload.exp,
  };
}
