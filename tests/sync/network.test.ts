import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { startGitHttpServer } from './support/git-http-server.js';
import { processesMatching } from './support/proc-sampler.js';
import { freePort } from './support/sshd-server.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  publishBare,
  startHarness,
  syncAndWait,
} from './support/sync-harness.js';
import { startTinyproxy } from './support/tinyproxy.js';

describe('network policies: proxy, retries, timeout', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let upstream: string;
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-net-');
    upstream = await makeUpstream(temp.path, 2);
    await publishBare(upstream, temp.path, 'proxied');
  });
  afterAll(async () => {
    await temp?.remove();
  });

  it('reaches a remote that answers only through the proxy', async () => {
    const proxy = await startTinyproxy(temp.path);
    const server = await startGitHttpServer({ projectRoot: temp.path, requireVia: 'tinyproxy' });
    const direct = await startHarness();
    const proxied = await startHarness({ HTTP_PROXY: proxy.url });
    try {
      const url = `${server.url}/proxied.git`;
      const refused = await syncAndWait(direct, await addRepo(direct, { name: 'direct', url }));
      expect(refused.status).toBe('failed');
      const log = await syncAndWait(proxied, await addRepo(proxied, { name: 'via-proxy', url }));
      expect(log.status, log.command_output ?? '').toBe('success');
      expect(log.to_commit).toBe(await headOf(upstream));
      expect(proxy.log()).toContain('proxied.git');
    } finally {
      await direct.close();
      await proxied.close();
      await server.close();
      await proxy.stop();
    }
  });

  it('retries a network failure 3 times, then fails it as network', async () => {
    const h = await startHarness({ MEGA_SYNC_RETRY_ATTEMPTS: '3', MEGA_SYNC_RETRY_INTERVAL_MS: '100' });
    try {
      const port = await freePort();
      const log = await syncAndWait(
        h,
        await addRepo(h, { name: 'refused', url: `http://127.0.0.1:${port}/x.git` }),
      );
      expect(log).toMatchObject({ status: 'failed', error_class: 'network', attempts: 4, local_path: null });
      expect(log.command_output?.match(/retrying in 100 ms/g)).toHaveLength(3);
    } finally {
      await h.close();
    }
  });

  it('kills a stalled remote at the timeout, leaving no git process, and retries it', async () => {
    const stalled = await startGitHttpServer({ projectRoot: temp.path, stall: true });
    const h = await startHarness({
      GIT_COMMAND_TIMEOUT: '2',
      MEGA_SYNC_RETRY_ATTEMPTS: '1',
      MEGA_SYNC_RETRY_INTERVAL_MS: '10',
    });
    try {
      const url = `${stalled.url}/proxied.git`;
      const log = await syncAndWait(h, await addRepo(h, { name: 'stalled', url }));
      expect(log).toMatchObject({ status: 'failed', error_class: 'timeout', attempts: 2 });
      expect(log.error_message).toContain('timed out');
      expect(stalled.requests.length).toBeGreaterThanOrEqual(2);
      expect(processesMatching(stalled.url)).toEqual([]);
    } finally {
      await h.close();
      await stalled.close();
    }
  });
});
