import { describe, expect, it } from 'vitest';
import { DeploymentSecret } from '../platform/deployment-secret.js';
import { LFS_SSH_TOKEN_PREFIX, LFS_SSH_TOKEN_TTL_SECONDS, LfsSshTokens } from './lfs-ssh-token.js';

const tokens = (fill = 1) =>
  new LfsSshTokens(new DeploymentSecret(Buffer.alloc(32, fill), 'MEGA_SECRET_KEY'));
const grant = { userId: 7, limit: { path: '/import/x', role: 'write' as const, granted: false } };

describe('LFS tokens handed out over SSH', () => {
  it('verify while fresh, with what they were issued for', () => {
    const { token, expiresIn } = tokens().issue(grant, 1000);
    expect(token.startsWith(LFS_SSH_TOKEN_PREFIX)).toBe(true);
    expect(expiresIn).toBe(LFS_SSH_TOKEN_TTL_SECONDS);
    expect(tokens().verify(token, 1001)).toEqual({ ...grant, expiresAt: 1000 + LFS_SSH_TOKEN_TTL_SECONDS });
    expect(tokens().verify(token, 1000 + LFS_SSH_TOKEN_TTL_SECONDS)).toBeUndefined();
  });

  it('refuse other installations, tampering and garbage', () => {
    const { token } = tokens().issue(grant, 1000);
    expect(tokens(2).verify(token, 1001)).toBeUndefined();
    const [body = '', mac = ''] = token.slice(LFS_SSH_TOKEN_PREFIX.length).split('.');
    const widened = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), path: '/' }),
    ).toString('base64url');
    for (const bad of [
      `${LFS_SSH_TOKEN_PREFIX}${widened}.${mac}`,
      `${LFS_SSH_TOKEN_PREFIX}${body}.`,
      `${LFS_SSH_TOKEN_PREFIX}${body}`,
      `${LFS_SSH_TOKEN_PREFIX}.${mac}`,
      token.slice(LFS_SSH_TOKEN_PREFIX.length),
      `${token}x`.repeat(500),
      '',
    ]) {
      expect(tokens().verify(bad, 1001)).toBeUndefined();
    }
  });
});
