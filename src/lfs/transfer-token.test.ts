import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { createTransferToken, verifyTransferToken, type TransferGrant } from './transfer-token.js';

const KEY = randomBytes(32);
const OID = 'a'.repeat(64);
const GRANT: TransferGrant = {
  operation: 'upload',
  repoPath: '/team/app',
  oid: OID,
  size: 42,
  userId: 7,
  expiresAt: 2000,
};
const EXPECTED = { operation: 'upload', repoPath: '/team/app', oid: OID, nowSeconds: 1000 } as const;

function rejected(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    return isMegaError(error, 'unauthorized') && error.code === 'lfs_transfer_token_invalid';
  }
}

describe('transfer tokens', () => {
  it('round-trips a grant', () => {
    expect(verifyTransferToken(KEY, createTransferToken(KEY, GRANT), EXPECTED)).toEqual(GRANT);
  });

  it.each([
    ['another operation', { ...EXPECTED, operation: 'download' as const }],
    ['another repository', { ...EXPECTED, repoPath: '/team/other' }],
    ['another object', { ...EXPECTED, oid: 'b'.repeat(64) }],
    ['an expired token', { ...EXPECTED, nowSeconds: 2000 }],
  ])('refuses %s', (_name, expected) => {
    expect(rejected(() => verifyTransferToken(KEY, createTransferToken(KEY, GRANT), expected))).toBe(true);
  });

  it('refuses tampered, foreign-key, truncated and garbage tokens', () => {
    const token = createTransferToken(KEY, GRANT);
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), size: 1e12 }),
    ).toString('base64url');
    for (const bad of [
      `${forged}.${signature}`,
      createTransferToken(randomBytes(32), GRANT),
      token.slice(0, -3),
      payload,
      '.',
      '',
      'x'.repeat(5000),
      `${Buffer.from('not json').toString('base64url')}.${signature}`,
    ]) {
      expect(rejected(() => verifyTransferToken(KEY, bad, EXPECTED))).toBe(true);
    }
  });
});
