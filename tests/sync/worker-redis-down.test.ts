import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEGA_BIN, runMega } from '../support/mega-process.js';
import { serviceAvailable, SERVICES } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { makeTempDir } from '../support/temp-dir.js';
import { makeUpstream } from './support/sync-harness.js';

const REDIS = await serviceAvailable('redis');

interface Worker {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** `mega worker` with Redis behind the proxy; `url` resolves once it prints its listener. */
function startWorker(dataDir: string, redisPort: number, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [MEGA_BIN, 'worker', '--data', dataDir, '--port', '0'], {
    env: {
      ...process.env,
      MEGA_LOG_LEVEL: 'error',
      MEGA_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MEGA_WORKER_REDIS_RETRY_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /worker worker-\S+ listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`worker exited ${code}:\n${output}`)));
  });
  url.catch(() => undefined);
  return { child, url, exited, output: () => output };
}

interface Readiness {
  status: string;
  dependencies: Record<string, { status: string; message?: string }>;
}

async function readyz(url: string): Promise<{ code: number; body: Readiness }> {
  const response = await fetch(`${url}/readyz`);
  return { code: response.status, body: (await response.json()) as Readiness };
}

/** Polls (bounded) until `probe` is true: Redis state changes reach the worker asynchronously. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 300; tries += 1) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.skipIf(!REDIS)('mega worker while Redis is down', () => {
  let temp: { path: string; remove: () => Promise<void> };
  const proxy = new TcpProxy(SERVICES.redis.host, SERVICES.redis.port);
  const workers: Worker[] = [];
  beforeAll(async () => {
    temp = await makeTempDir('mega-worker-redis-down-');
    await proxy.start();
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await proxy.stop();
    await temp?.remove();
  });

  it('reports Redis per dependency on /readyz, and stops on SIGTERM while Redis is down', async () => {
    const worker = startWorker(join(temp.path, 'a'), proxy.port);
    workers.push(worker);
    const url = await worker.url;
    const up = await readyz(url);
    expect(up.code).toBe(200);
    expect(up.body.status).toBe('ready');
    expect(up.body.dependencies).toMatchObject({
      database: { status: 'ok' },
      redis: { status: 'ok' },
      worker: { status: 'ok' },
    });

    await proxy.stop();
    let down = await readyz(url);
    await until(async () => (down = await readyz(url)).code === 503, '/readyz to fail');
    expect(down.body.status).toBe('not_ready');
    expect(down.body.dependencies.redis?.status).toBe('failing');
    expect(down.body.dependencies.redis?.message).toMatch(/^redis is unavailable/);
    expect(down.body.dependencies.database?.status).toBe('ok');

    await proxy.start();
    await until(async () => (await readyz(url)).code === 200, '/readyz to recover');

    await proxy.stop();
    await until(async () => (await readyz(url)).code === 503, '/readyz to fail again');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    await proxy.start();
  });

  it('starts without Redis by retrying with one line per attempt and no stack trace', async () => {
    await proxy.stop();
    const worker = startWorker(join(temp.path, 'b'), proxy.port);
    workers.push(worker);
    await until(async () => /redis .*unavailable/.test(worker.output()), 'the retry message');
    await proxy.start();
    const url = await worker.url;
    expect((await readyz(url)).code).toBe(200);
    const lines = worker
      .output()
      .split('\n')
      .filter((line) => /unavailable/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^mega: redis at redis:\/\/127\.0\.0\.1:\d+ is unavailable/);
    expect(worker.output()).not.toMatch(/\n\s+at /);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('exits at once on SIGTERM while still waiting for Redis at start-up', async () => {
    await proxy.stop();
    const worker = startWorker(join(temp.path, 'c'), proxy.port);
    workers.push(worker);
    await until(async () => /unavailable/.test(worker.output()), 'the retry message');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).not.toMatch(/\n\s+at /);
    await proxy.start();
  });

  it('runs a request stored while Redis was down as soon as Redis is back', async () => {
    const dataDir = join(temp.path, 'd');
    // The periodic catch-up is 10 minutes away: only the reconnect can run the request in time.
    const env = { MEGA_SYNC_ALLOW_FILE_URLS: 'true', MEGA_SYNC_RECONCILE_INTERVAL_MS: '600000' };
    const worker = startWorker(dataDir, proxy.port, env);
    workers.push(worker);
    const url = await worker.url;
    // The CLI reaches Redis directly: its publish succeeds while the worker's connection is cut.
    const cli = async (args: string[]) => {
      const result = await runMega([...args, '--data', dataDir], {
        env: { ...env, MEGA_REDIS_URL: SERVICES.redis.url },
      });
      if (result.code !== 0) throw new Error(`mega ${args.join(' ')}: ${result.stderr}`);
      return result.stdout.trim();
    };
    const logsOf = async (repoId: string) =>
      (await cli(['sync', 'logs', repoId, '--json']))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { request_id: string; status: string });
    const upstream = await makeUpstream(temp.path, 1);
    const tenant = await cli(['sync', 'tenant', 'add', 'reconnect']);
    const repoId = await cli([
      'sync',
      'repo',
      'add',
      '--tenant',
      tenant,
      '--name',
      'r',
      '--url',
      `file://${upstream}`,
    ]);

    await proxy.stop();
    await until(async () => (await readyz(url)).code === 503, '/readyz to fail');
    const request = await cli(['sync', 'trigger', repoId]);
    await sleep(1000);
    expect(await logsOf(repoId)).toEqual([]);

    const restored = Date.now();
    await proxy.start();
    await until(
      async () =>
        (await logsOf(repoId)).some((row) => row.request_id === request && row.status === 'success'),
      'the stored request to run',
    );
    expect(Date.now() - restored).toBeLessThan(20_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
