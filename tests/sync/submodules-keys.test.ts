import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  publishBare,
  startHarness,
  syncAndWait,
  type Harness,
} from './support/sync-harness.js';

describe('submodules when enabled', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: GitHttpServer;
  let h: Harness;
  let superproject: string;
  let sub: string;
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-sub-');
    server = await startGitHttpServer({ projectRoot: temp.path });
    sub = await makeUpstream(temp.path, 1);
    await publishBare(sub, temp.path, 'sub');
    superproject = await makeUpstream(temp.path, 1);
    await git(['-C', superproject, 'submodule', 'add', '-q', `${server.url}/sub.git`, 'vendor/sub']);
    await git(['-C', superproject, 'commit', '-q', '-m', 'add submodule']);
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await temp?.remove();
  });

  it('checks submodules out only when the repository enables them', async () => {
    const without = await syncAndWait(h, await addRepo(h, { name: 'plain', url: `file://${superproject}` }));
    expect(without.status).toBe('success');
    expect(existsSync(join(without.local_path as string, 'vendor/sub/file.txt'))).toBe(false);
    const withSubs = await syncAndWait(
      h,
      await addRepo(h, { name: 'subs', url: `file://${superproject}`, submodules: true }),
    );
    expect(withSubs.status, withSubs.command_output ?? '').toBe('success');
    expect(await headOf(join(withSubs.local_path as string, 'vendor/sub'))).toBe(await headOf(sub));
  });

  it('refuses file:// submodules (another tenant’s files are not reachable through a submodule)', async () => {
    const evil = await makeUpstream(temp.path, 1);
    await writeFile(join(evil, '.gitmodules'), `[submodule "x"]\n\tpath = x\n\turl = ${sub}\n`);
    await git(['-C', evil, 'update-index', '--add', '--cacheinfo', `160000,${await headOf(sub)},x`]);
    await git(['-C', evil, 'add', '.gitmodules']);
    await git(['-C', evil, 'commit', '-q', '-m', 'local submodule']);
    const log = await syncAndWait(
      h,
      await addRepo(h, { name: 'evil', url: `file://${evil}`, submodules: true }),
    );
    expect(log.status).toBe('failed');
    expect(log.command_output).toContain("transport 'file' not allowed");
  });
});

describe('file urls', () => {
  it('are refused unless enabled', async () => {
    const h = await startHarness({ MEGA_SYNC_ALLOW_FILE_URLS: 'false' });
    try {
      await expect(addRepo(h, { name: 'local', url: 'file:///etc' })).rejects.toMatchObject({
        code: 'remote_url_protocol',
      });
      await expect(addRepo(h, { name: 'local2', url: '/var/lib/mega/repos' })).rejects.toThrow();
    } finally {
      await h.close();
    }
  });
});
