import { hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import {
  DeploymentSecret,
  loadDeploymentSecret,
  parseSecretKey,
  SECRET_KEY_FILE,
} from './deployment-secret.js';

describe('the deployment secret', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    temp = await makeTempDir('mega-secret-');
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('is generated once per data directory with mode 0600, reported by path only', () => {
    const reported: string[] = [];
    const secret = loadDeploymentSecret({ dataDir: temp.path, onGenerated: (path) => reported.push(path) });
    const path = join(temp.path, SECRET_KEY_FILE);
    expect(reported).toEqual([path]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(secret.source).toBe('data directory');
    const again = loadDeploymentSecret({ dataDir: temp.path, onGenerated: (p) => reported.push(p) });
    expect(reported).toHaveLength(1);
    expect(again.fingerprint()).toBe(secret.fingerprint());
  });

  it('keeps the key of an existing secret.key: credentials sealed with it still open', () => {
    const master = randomBytes(32);
    writeFileSync(join(temp.path, SECRET_KEY_FILE), `${master.toString('hex')}\n`);
    const secret = loadDeploymentSecret({ dataDir: temp.path });
    expect(secret.legacyCredentialKey().equals(master)).toBe(true);
  });

  it('takes MEGA_SECRET_KEY first, then MEGA_SECRET_KEY_FILE, and generates no file then', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const file = join(temp.path, 'mounted.key');
    writeFileSync(file, b.toString('base64'));
    const fromEnv = loadDeploymentSecret({
      secretKey: a.toString('hex'),
      secretKeyFile: file,
      dataDir: temp.path,
    });
    expect(fromEnv.source).toBe('MEGA_SECRET_KEY');
    expect(fromEnv.legacyCredentialKey().equals(a)).toBe(true);
    const fromFile = loadDeploymentSecret({ secretKeyFile: file, dataDir: temp.path });
    expect(fromFile.source).toBe('MEGA_SECRET_KEY_FILE');
    expect(fromFile.legacyCredentialKey().equals(b)).toBe(true);
    expect(() => statSync(join(temp.path, SECRET_KEY_FILE))).toThrow();
  });

  it('names a missing or malformed key file without its content', () => {
    expect(() =>
      loadDeploymentSecret({ secretKeyFile: join(temp.path, 'none'), dataDir: temp.path }),
    ).toThrow(/^MEGA_SECRET_KEY_FILE .*none cannot be read \(ENOENT\)$/);
    const file = join(temp.path, 'short.key');
    writeFileSync(file, 'deadbeef-not-a-key');
    let message = '';
    try {
      loadDeploymentSecret({ secretKeyFile: file, dataDir: temp.path });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('MEGA_SECRET_KEY_FILE must be 32 bytes as hex or base64');
  });

  it('parses keys as hex or base64 of exactly 32 bytes', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseSecretKey('abcd')).toThrow();
  });

  it('derives distinct keys per label with HKDF-SHA256; the fingerprint is none of them', () => {
    const master = randomBytes(32);
    const secret = new DeploymentSecret(master, 'MEGA_SECRET_KEY');
    const a = secret.derive('mega sync credentials v2');
    const b = secret.derive('mega lfs transfer token v2');
    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(master)).toBe(false);
    expect(
      a.equals(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'mega sync credentials v2', 32))),
    ).toBe(true);
    const fingerprint = secret.fingerprint();
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    for (const key of [master, a, b]) expect(key.toString('hex')).not.toContain(fingerprint);
    expect(new DeploymentSecret(randomBytes(32), 'MEGA_SECRET_KEY').fingerprint()).not.toBe(fingerprint);
  });
});
