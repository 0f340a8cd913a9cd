import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { SERVICES, serviceAvailable } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { makeTempDir } from '../support/temp-dir.js';
import { authEnv } from './http-fixture.js';
import { makeFileHistory } from '../support/git-fixtures.js';

const DATABASES = [
  ['postgres', SERVICES.postgres, await serviceAvailable('postgres')],
  ['mysql', SERVICES.mysql, await serviceAvailable('mysql')],
] as const;

/** The scratch database's URL, reached through the proxy instead of the server's own port. */
function throughProxy(url: string, port: number): string {
  const proxied = new URL(url);
  proxied.port = String(port);
  return proxied.toString();
}

/**
 * The database goes away under a running `mega serve` (a TCP proxy in front of it is stopped):
 * git and REST get 503 with Retry-After and a message that says so, /readyz names the database,
 * the process stays up, and everything works again once the database is back.
 */
for (const [dialect, service, available] of DATABASES) {
  describe.skipIf(!available)(`database down [${dialect}]`, () => {
    let temp: Awaited<ReturnType<typeof makeTempDir>>;
    let scratch: ScratchDatabase;
    let proxy: TcpProxy;
    let server: MegaServer;
    let token: string;
    const repoUrl = () => `${server.url}/import/app`;

    beforeAll(async () => {
      temp = await makeTempDir('mega-db-down-');
      scratch = await createScratchDatabase(dialect, { migrate: false });
      proxy = new TcpProxy(service.host, service.port);
      await proxy.start();
      const dataDir = join(temp.path, 'data');
      const env = { MEGA_DATABASE_URL: throughProxy(scratch.url, proxy.port) };
      const created = await runMega(['token', 'create', 'alice', '--admin', '--data', dataDir], { env });
      expect(created.code, created.stderr).toBe(0);
      token = created.stdout.trim().split('\n').pop() ?? '';
      server = await startMegaServer({ dataDir, args: ['--no-worker'], env });
      const work = join(temp.path, 'app');
      await makeFileHistory(work, 2);
      await git(['push', repoUrl(), 'main'], { cwd: work, env: authEnv(token) });
    });
    afterAll(async () => {
      await server?.stop();
      await proxy?.stop();
      await scratch?.drop();
      await temp?.remove();
    });

    const lsRemote = (auth: boolean) =>
      git(['ls-remote', repoUrl()], { cwd: temp.path, env: auth ? authEnv(token) : {}, check: false });

    it('answers 503 with Retry-After to git and REST while the database is down, and recovers', async () => {
      expect((await lsRemote(false)).code).toBe(0);
      await proxy.stop();

      for (const auth of [false, true]) {
        const listed = await lsRemote(auth);
        expect(listed.code).not.toBe(0);
        expect(listed.stderr).toMatch(/remote: the database is unavailable \(.+\); try again later/);
        expect(listed.stderr).toMatch(/503/);
      }
      const cloned = await git(['clone', repoUrl(), join(temp.path, 'clone-while-down')], {
        cwd: temp.path,
        check: false,
      });
      expect(cloned.code).not.toBe(0);
      expect(cloned.stderr).toMatch(/the database is unavailable/);

      const rest = await fetch(`${server.url}/api/v1/repos/refs?repo=/import/app`);
      expect(rest.status).toBe(503);
      expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await rest.json()) as { code: string; detail: string };
      expect(body.code).toBe('database_unavailable');
      const listing = await fetch(`${server.url}/api/v1/merge-requests`);
      expect(listing.status).toBe(503);
      expect(listing.headers.get('retry-after')).not.toBeNull();

      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      const readiness = (await ready.json()) as {
        status: string;
        dependencies: Record<string, { status: string; message?: string }>;
      };
      expect(readiness.status).toBe('not_ready');
      expect(readiness.dependencies.database?.status).toBe('failing');
      expect(readiness.dependencies.database?.message).toMatch(/database is unavailable/);
      expect(server.process.exitCode).toBeNull();

      await proxy.start();
      expect((await lsRemote(true)).code).toBe(0);
      const cloneDir = join(temp.path, 'clone-after');
      const again = await git(['clone', '-q', repoUrl(), cloneDir], { cwd: temp.path, check: false });
      expect(again.code, again.stderr).toBe(0);
      expect((await fetch(`${server.url}/api/v1/repos/refs?repo=/import/app`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    });
  });
}

const REDIS = await serviceAvailable('redis');

/** Redis, when the sync bus uses it, is a dependency /readyz names too. */
describe.skipIf(!REDIS)('redis down', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let proxy: TcpProxy;
  let server: MegaServer;

  beforeAll(async () => {
    temp = await makeTempDir('mega-redis-down-');
    proxy = new TcpProxy(SERVICES.redis.host, SERVICES.redis.port);
    await proxy.start();
    const env = { MEGA_REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
    server = await startMegaServer({ dataDir: join(temp.path, 'data'), args: ['--no-worker'], env });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
    await temp?.remove();
  });

  const readiness = async () => {
    const response = await fetch(`${server.url}/readyz`);
    const body = (await response.json()) as {
      dependencies: Record<string, { status: string; message?: string }>;
    };
    return { status: response.status, redis: body.dependencies.redis };
  };

  it('reports redis failing while it is out of reach, and ok again once it is back', async () => {
    expect(await readiness()).toEqual({ status: 200, redis: { status: 'ok' } });
    await proxy.stop();
    const down = await readiness();
    expect(down.status).toBe(503);
    expect(down.redis?.status).toBe('failing');
    expect(down.redis?.message).toMatch(/^redis is unavailable/);
    await proxy.start();
    // ioredis reconnects on its own schedule; each check waits for an answer (at most 2 s).
    let back = await readiness();
    for (let attempt = 1; back.status !== 200 && attempt < 10; attempt++) back = await readiness();
    expect(back).toEqual({ status: 200, redis: { status: 'ok' } });
  });
});
