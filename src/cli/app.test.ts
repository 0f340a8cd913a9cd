import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createMetricsRegistry } from '../platform/metrics.js';
import { ForegroundWork } from '../platform/foreground-work.js';
import { buildApp, buildAppServer, serverBaseUrl } from './app.js';

describe('the composition root', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await makeTempDir('mega-app-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  const appOver = (overrides: Record<string, unknown> = {}) =>
    buildApp(
      loadConfig({ env: {}, overrides: { dataDir: dir.path, ...overrides } }),
      createLogger({ level: 'silent' }),
      createMetricsRegistry(),
    );

  it('builds each service once and hands the same instances to the web layer', async () => {
    const app = await appOver();
    try {
      expect(app.web.review).toBe(app.services.review);
      expect(app.web.repositories).toBe(app.services.repositories);
      expect(app.web.repositoryAdmin).toBe(app.services.repositoryAdmin);
      expect(app.web.sync).toBe(app.sync.service);
      expect(app.web.users).toBe(app.storage.users);
      expect(app.web.gitRequests).toBe(app.services.gitRequests);
      expect(Object.keys(app.web)).not.toContain('database');
      expect(Object.keys(app.web)).not.toContain('storage');
    } finally {
      await app.close();
    }
  });

  it('reports readiness per dependency: the database, the data directory and the LFS store (no Redis configured)', async () => {
    const app = await appOver();
    try {
      const states = await app.web.readiness();
      expect(states.map((state) => [state.name, state.ok])).toEqual([
        ['database', true],
        ['storage', true],
        ['lfs_store', true],
      ]);
    } finally {
      await app.close();
    }
  });

  it('reports the worker of a server that runs one (in-process bus: subscribed at once)', async () => {
    const app = await buildApp(
      loadConfig({ env: {}, overrides: { dataDir: dir.path } }),
      createLogger({ level: 'silent' }),
      createMetricsRegistry(),
      { runSyncWorker: true },
    );
    try {
      const states = await app.web.readiness();
      expect(states.map((state) => [state.name, state.ok])).toEqual([
        ['database', true],
        ['storage', true],
        ['lfs_store', true],
        ['worker', true],
      ]);
    } finally {
      await app.close();
    }
  });

  it('serves /readyz from the same check, and closing the server closes the app', async () => {
    const app = await appOver();
    const server = await buildAppServer(app);
    const reply = await server.inject({ method: 'GET', url: '/readyz' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({ status: 'ready', dependencies: { database: { status: 'ok' } } });
    await server.close();
    // The app's storage is closed with the server: its database no longer answers.
    expect((await app.storage.health.checkDatabase()).ok).toBe(false);
  });

  it('believes X-Forwarded-* only from the proxies MEGA_TRUST_PROXY names', async () => {
    const forwarded = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'git.example.com',
      'x-forwarded-for': '203.0.113.9',
    };
    const cloneUrlVia = async (trustProxy: string | undefined) => {
      const app = await appOver(trustProxy ? { trustProxy } : {});
      await app.services.directory.init();
      const server = await buildAppServer(app);
      try {
        const reply = await server.inject({
          method: 'GET',
          url: '/api/v1/directory?path=/projects',
          headers: { host: 'mega.internal:8000', ...forwarded },
          remoteAddress: '127.0.0.1',
        });
        return (reply.json() as { clone: { url: string } }).clone.url;
      } finally {
        await server.close();
      }
    };
    expect(await cloneUrlVia('127.0.0.1')).toBe('https://git.example.com/projects.git');
    expect(await cloneUrlVia('10.0.0.0/8')).toBe('http://mega.internal:8000/projects.git');
    expect(await cloneUrlVia(undefined)).toBe('http://mega.internal:8000/projects.git');
  });

  it('marks a smart HTTP git request in flight until its response is sent', async () => {
    const app = await appOver();
    await app.services.directory.init();
    const server = await buildAppServer(app);
    try {
      const requests = app.services.gitRequests;
      const ended: boolean[] = [];
      // Each request's end is seen, then handed to the real count.
      const begin = vi.spyOn(requests, 'begin').mockImplementation(() => {
        const end = ForegroundWork.prototype.begin.call(requests);
        const index = ended.push(false) - 1;
        return () => {
          ended[index] = true;
          end();
        };
      });
      expect(requests.busy).toBe(false);
      const reply = await server.inject({
        method: 'POST',
        url: '/.git/git-upload-pack',
        headers: { 'content-type': 'application/x-git-upload-pack-request', 'git-protocol': 'version=2' },
        payload: '0014command=ls-refs\n0000',
      });
      expect(reply.statusCode).toBe(200);
      expect(begin).toHaveBeenCalledTimes(1);
      await vi.waitFor(() => expect(ended).toEqual([true]));
      // Ended: the indexer still waits for the quiet time after it.
      expect(requests.busy).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('links outside a request point at the public URL, else the listen address', () => {
    const base = { host: '::1', port: 8000 };
    expect(serverBaseUrl({ ...loadConfig({ env: {} }), ...base })).toBe('http://[::1]:8000');
    expect(
      serverBaseUrl({ ...loadConfig({ env: {} }), ...base, publicUrl: 'https://mega.example/git/' }),
    ).toBe('https://mega.example/git');
  });
});
