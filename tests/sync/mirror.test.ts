import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  startHarness,
  syncAndWait,
  type Harness,
} from './support/sync-harness.js';

const MIRROR_TOKEN = 'mirror-token-5b7c9d1e';

describe('mirror_to pushes the synced branches into the server /import area', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: GitHttpServer;
  let h: Harness;
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-mirror-');
    await git(['init', '-q', '--bare', join(temp.path, 'import', 'mirrored')]);
    server = await startGitHttpServer({
      projectRoot: temp.path,
      basicAuth: [['x-access-token', MIRROR_TOKEN]],
    });
    h = await startHarness({ MEGA_SYNC_MIRROR_URL: server.url, MEGA_SYNC_MIRROR_TOKEN: MIRROR_TOKEN });
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
    await temp?.remove();
  });

  it('mirrors on every sync, with the token kept out of the log', async () => {
    const upstream = await makeUpstream(temp.path, 2);
    const repoId = await addRepo(h, {
      name: 'mirror',
      url: `file://${upstream}`,
      mirror_to: '/import/mirrored',
    });
    const first = await syncAndWait(h, repoId);
    expect(first.status, first.command_output ?? '').toBe('success');
    expect(await headOf(join(temp.path, 'import', 'mirrored'), 'refs/heads/main')).toBe(
      await headOf(upstream),
    );
    await git(['-C', upstream, 'commit', '-q', '--allow-empty', '-m', 'more']);
    const second = await syncAndWait(h, repoId);
    expect(second.status, second.command_output ?? '').toBe('success');
    expect(await headOf(join(temp.path, 'import', 'mirrored'), 'refs/heads/main')).toBe(
      await headOf(upstream),
    );
    expect(JSON.stringify([first, second])).not.toContain(MIRROR_TOKEN);
    expect(server.requests.some((line) => line.includes('git-receive-pack'))).toBe(true);
  });
});
