import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeploymentSecret } from '../platform/deployment-secret.js';
import { loadHostKeys, type HostKeyStore } from './host-keys.js';

/** An in-memory stand-in for `ssh_host_keys`: the first claim wins. */
function memoryStore(): HostKeyStore & { stored: Map<string, string> } {
  const stored = new Map<string, string>();
  return {
    stored,
    claimHostKey: async (algorithm, proposed) => {
      if (!stored.has(algorithm)) stored.set(algorithm, proposed());
      return stored.get(algorithm) ?? '';
    },
  };
}

const secret = (fill: number) => new DeploymentSecret(Buffer.alloc(32, fill), 'MEGA_SECRET_KEY');

describe('host keys', () => {
  it('are the same for every server of an installation, and differ between installations', async () => {
    const store = memoryStore();
    const first = await loadHostKeys(secret(1), store);
    const second = await loadHostKeys(secret(1), store);
    expect(first.map((key) => key.algorithm)).toEqual(['ssh-ed25519', 'ssh-rsa']);
    expect(second.map((key) => key.fingerprint)).toEqual(first.map((key) => key.fingerprint));
    // The RSA key is stored sealed, never in clear.
    expect(store.stored.get('ssh-rsa')).not.toContain('PRIVATE KEY');
    const other = await loadHostKeys(secret(2), memoryStore());
    expect(other[0]?.fingerprint).not.toBe(first[0]?.fingerprint);
    // A server with another secret cannot open the stored key.
    await expect(loadHostKeys(secret(2), store)).rejects.toThrow();
  });

  it('writes keys OpenSSH reads, with the fingerprints OpenSSH computes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mega-hostkeys-'));
    try {
      for (const key of await loadHostKeys(secret(3), memoryStore())) {
        const file = join(dir, key.algorithm);
        writeFileSync(file, key.privateKey);
        chmodSync(file, 0o600);
        const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' });
        expect(out.split(' ')[1]).toBe(key.fingerprint);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
