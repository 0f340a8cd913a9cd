import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server.js';
import {
  addRepo,
  makeUpstream,
  publishBare,
  startHarness,
  syncAndWait,
  type Harness,
} from './support/sync-harness.js';

const PASSWORD = 'lfs-pass-4e2a';

describe('Git LFS when enabled', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: GitHttpServer;
  let h: Harness;
  const content = Buffer.from(`large binary-ish content ${'0123456789'.repeat(500)}\n`);
  const oid = createHash('sha256').update(content).digest('hex');

  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-lfs-');
    const upstream = await makeUpstream(temp.path, 1);
    await writeFile(join(upstream, '.gitattributes'), '*.bin filter=lfs diff=lfs merge=lfs -text\n');
    await writeFile(
      join(upstream, 'asset.bin'),
      `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${content.length}\n`,
    );
    await git(['-C', upstream, 'add', '.gitattributes', 'asset.bin']);
    await git(['-C', upstream, 'commit', '-q', '-m', 'lfs asset']);
    await publishBare(upstream, temp.path, 'with-lfs');
    server = await startGitHttpServer({
      projectRoot: temp.path,
      basicAuth: [['alice', PASSWORD]],
      lfsObjects: new Map([[oid, content]]),
    });
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await temp?.remove();
  });

  it('replaces pointers by their objects, authenticated like git, and keeps pointers when disabled', async () => {
    const credential = await h.runtime.service.addCredential(h.tenantId, {
      name: 'lfs',
      type: 'password',
      username: 'alice',
      secret: PASSWORD,
      known_host: null,
    });
    const url = `${server.url}/with-lfs.git`;
    const withLfs = await syncAndWait(
      h,
      await addRepo(h, { name: 'lfs-on', url, credential_id: credential.id, lfs: true }),
    );
    expect(withLfs.status, `${withLfs.error_message} ${withLfs.command_output}`).toBe('success');
    expect((await readFile(join(withLfs.local_path as string, 'asset.bin'))).equals(content)).toBe(true);
    expect(server.requests.some((line) => line.includes('/info/lfs/objects/batch'))).toBe(true);
    expect(JSON.stringify(withLfs)).not.toContain(PASSWORD);
    const without = await syncAndWait(
      h,
      await addRepo(h, { name: 'lfs-off', url, credential_id: credential.id }),
    );
    expect(without.status).toBe('success');
    expect(await readFile(join(without.local_path as string, 'asset.bin'), 'utf8')).toContain(
      `oid sha256:${oid}`,
    );
  });
});
