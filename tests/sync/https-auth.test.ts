import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server.js';
import { sampleCommandLines } from './support/proc-sampler.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  publishBare,
  startHarness,
  syncAndWait,
  type Harness,
} from './support/sync-harness.js';

const PASSWORD = 'Pw-7f3a9c-s3cr3t!';
const TOKEN = 'tok_91b2c3d4e5f60718293a4b5c';

/** Every file named `config` under a directory tree (copies' and caches' .git/config). */
async function gitConfigs(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile() && e.name === 'config')
      .map((e) => readFile(join(e.parentPath, e.name), 'utf8')),
  );
}

describe('HTTPS with Basic auth against a loopback git server', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: GitHttpServer;
  let h: Harness;
  let upstream: string;

  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-https-');
    upstream = await makeUpstream(temp.path, 3);
    await publishBare(upstream, temp.path, 'private');
    server = await startGitHttpServer({
      projectRoot: temp.path,
      tls: { dir: temp.path },
      basicAuth: [
        ['alice', PASSWORD],
        ['x-access-token', TOKEN],
      ],
    });
    h = await startHarness({ GIT_SSL_CAINFO: server.caFile as string });
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await temp?.remove();
  });

  const addCredential = (name: string, type: 'password' | 'token', username: string | null, secret: string) =>
    h.runtime.service.addCredential(h.tenantId, { name, type, username, secret, known_host: null });

  it.each([
    ['password', 'alice', PASSWORD],
    ['token', null, TOKEN],
  ] as const)(
    'syncs with a %s that appears in no log row, argv or .git/config',
    async (type, username, secret) => {
      const credential = await addCredential(`https-${type}`, type, username, secret);
      expect(JSON.stringify(credential)).not.toContain(secret);
      const repoId = await addRepo(h, {
        name: `https-${type}`,
        url: `${server.url}/private.git`,
        credential_id: credential.id,
      });
      const basic = Buffer.from(`${username ?? 'x-access-token'}:${secret}`).toString('base64');
      const sampler = sampleCommandLines([secret, basic]);
      const log = await syncAndWait(h, repoId);
      const sampled = sampler.stop();
      expect(log.status, log.command_output ?? '').toBe('success');
      expect(log.to_commit).toBe(await headOf(upstream));
      expect(sampled.gitSeen).toBeGreaterThan(0);
      expect(sampled.hits).toEqual([]);
      const rows = await h.runtime.service.listLogs({ tenantId: h.tenantId }, { limit: 100 });
      for (const text of [JSON.stringify(rows), ...(await gitConfigs(h.config.sync.repoBaseDir))]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(basic);
      }
      expect(server.requests.some((line) => line.includes('git-upload-pack'))).toBe(true);
    },
  );

  it('fails a wrong password as auth, once, and keeps the secret out of the row', async () => {
    const wrong = 'Wr0ng-pass-6d1e';
    const credential = await addCredential('wrong', 'password', 'alice', wrong);
    const repoId = await addRepo(h, {
      name: 'https-wrong',
      url: `${server.url}/private.git`,
      credential_id: credential.id,
    });
    const log = await syncAndWait(h, repoId);
    expect(log).toMatchObject({ status: 'failed', error_class: 'auth', attempts: 1 });
    expect(JSON.stringify(log)).not.toContain(wrong);
  });

  it('fails without credentials as auth, and an unknown repository as not_found, neither retried', async () => {
    const anonymous = await addRepo(h, { name: 'https-anon', url: `${server.url}/private.git` });
    expect(await syncAndWait(h, anonymous)).toMatchObject({
      status: 'failed',
      error_class: 'auth',
      attempts: 1,
    });
    const credential = await addCredential('nf', 'token', null, TOKEN);
    const missing = await addRepo(h, {
      name: 'https-missing',
      url: `${server.url}/missing.git`,
      credential_id: credential.id,
    });
    expect(await syncAndWait(h, missing)).toMatchObject({
      status: 'failed',
      error_class: 'not_found',
      attempts: 1,
    });
  });

  it('fails an untrusted certificate as tls', async () => {
    const other = await startHarness();
    try {
      const repoId = await addRepo(other, { name: 'https-untrusted', url: `${server.url}/private.git` });
      expect(await syncAndWait(other, repoId)).toMatchObject({
        status: 'failed',
        error_class: 'tls',
        attempts: 1,
      });
    } finally {
      await other.close();
    }
  });
});
