import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { sampleCommandLines } from './support/proc-sampler.js';
import { generateKey, startSshServer, type SshServer } from './support/sshd-server.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  publishBare,
  startHarness,
  syncAndWait,
  type Harness,
} from './support/sync-harness.js';

describe('SSH against a real sshd on loopback', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let sshd: SshServer;
  let h: Harness;
  let upstream: string;
  let bare: string;

  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-ssh-');
    upstream = await makeUpstream(temp.path, 2);
    bare = await publishBare(upstream, temp.path, 'over-ssh');
    sshd = await startSshServer(temp.path);
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    await sshd?.stop();
    await temp?.remove();
  });

  const keyCredential = (name: string, knownHost: string | null) =>
    h.runtime.service.addCredential(h.tenantId, {
      name,
      type: 'ssh_key',
      username: null,
      secret: sshd.clientPrivateKey,
      known_host: knownHost,
    });

  it('syncs with the stored host key; the key is in no argv, log row or leftover file', async () => {
    const credential = await keyCredential('right-host', sshd.hostPublicKey);
    const repoId = await addRepo(h, {
      name: 'ssh-ok',
      url: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
      credential_id: credential.id,
    });
    const keyLine = sshd.clientPrivateKey.split('\n')[1] as string;
    const sampler = sampleCommandLines([keyLine]);
    const log = await syncAndWait(h, repoId);
    const sampled = sampler.stop();
    expect(log.status, log.command_output ?? '').toBe('success');
    expect(log.to_commit).toBe(await headOf(upstream));
    expect(sampled.hits).toEqual([]);
    expect(JSON.stringify(log)).not.toContain(keyLine);
    // The 0600 key file lived in a private temp directory that is gone now.
    for (const dir of (await readdir(tmpdir())).filter((name) => name.startsWith('ssh-'))) {
      const files = await readdir(join(tmpdir(), dir)).catch(() => []);
      for (const file of files) {
        const text = await readFile(join(tmpdir(), dir, file), 'utf8').catch(() => '');
        expect(text).not.toContain(keyLine);
      }
    }
  });

  it('fails a wrong host key as host_key without retrying', async () => {
    const impostor = generateKey(join(temp.path, 'impostor')).publicKey;
    const credential = await keyCredential('wrong-host', impostor);
    const repoId = await addRepo(h, {
      name: 'ssh-wrong-host',
      url: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
      credential_id: credential.id,
    });
    const log = await syncAndWait(h, repoId);
    expect(log).toMatchObject({ status: 'failed', error_class: 'host_key', attempts: 1 });
  });

  it('fails an unknown host key as host_key under strict checking, and works when the repository opts out', async () => {
    const credential = await keyCredential('no-host', null);
    const strict = await addRepo(h, {
      name: 'ssh-unknown-host',
      url: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
      credential_id: credential.id,
    });
    expect(await syncAndWait(h, strict)).toMatchObject({
      status: 'failed',
      error_class: 'host_key',
      attempts: 1,
    });
    const optedOut = await addRepo(h, {
      name: 'ssh-opt-out',
      url: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
      credential_id: credential.id,
      strict_host_key: false,
    });
    expect((await syncAndWait(h, optedOut)).status).toBe('success');
  });

  it('fails an unauthorized key as auth without retrying', async () => {
    const stranger = generateKey(join(temp.path, 'stranger')).privateKey;
    const credential = await h.runtime.service.addCredential(h.tenantId, {
      name: 'stranger',
      type: 'ssh_key',
      username: null,
      secret: stranger,
      known_host: sshd.hostPublicKey,
    });
    const repoId = await addRepo(h, {
      name: 'ssh-stranger',
      url: `ssh://root@127.0.0.1:${sshd.port}${bare}`,
      credential_id: credential.id,
    });
    expect(await syncAndWait(h, repoId)).toMatchObject({
      status: 'failed',
      error_class: 'auth',
      attempts: 1,
    });
  });
});
