import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEGA_BIN, runMega } from '../support/mega-process.js';
import { serviceAvailable, SERVICES } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { openDatabase, type MegaDatabase } from '../../src/storage/open-database.js';
import { SyncRunStore } from '../../src/storage/sync/sync-run-store.js';
import { makeUpstream } from './support/sync-harness.js';

const REDIS = await serviceAvailable('redis');

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly id: string;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `mega worker --data DIR` and resolves when it prints its id and listener. */
function startWorker(dataDir: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [MEGA_BIN, 'worker', '--data', dataDir, '--port', '0'], {
    env: { ...process.env, MEGA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /worker (worker-\S+) listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        id: match[1] as string,
        url: match[2] as string,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${output}`)));
  });
}

describe.skipIf(!REDIS)('two worker processes over Redis', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let env: Record<string, string>;
  let database: MegaDatabase;
  let runs: SyncRunStore;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-redis-');
    env = {
      MEGA_DATABASE_URL: `sqlite:${join(temp.path, 'shared.db')}`,
      MEGA_REDIS_URL: SERVICES.redis.url,
      MEGA_SECRET_KEY: randomBytes(32).toString('hex'),
      MEGA_SYNC_ALLOW_FILE_URLS: 'true',
    };
    const cli = (args: string[]) => runMega([...args, '--data', join(temp.path, 'cli')], { env });
    expect((await cli(['migrate'])).code).toBe(0);
    database = openDatabase(env.MEGA_DATABASE_URL as string);
    runs = new SyncRunStore(database.db, database.capabilities);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await database?.close();
    await temp?.remove();
  });

  const cli = async (args: string[]) => {
    const result = await runMega([...args, '--data', join(temp.path, 'cli')], { env });
    if (result.code !== 0) throw new Error(`mega ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const waitForResults = async (requestId: string, count: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const results = await runs.resultsOf(requestId);
      if (results.length >= count) return results;
      if (Date.now() > deadline) throw new Error(`only ${results.length} results for ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('both workers make their own copy and log; a worker that was down catches up on start', async () => {
    const dirA = join(temp.path, 'worker-a');
    const dirB = join(temp.path, 'worker-b');
    workers.push(await startWorker(dirA, env), await startWorker(dirB, env));
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    expect(a.id).not.toBe(b.id);
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);

    const upstream = await makeUpstream(temp.path, 2);
    const tenant = await cli(['sync', 'tenant', 'add', 'fleet']);
    const repoId = await cli([
      'sync',
      'repo',
      'add',
      '--tenant',
      tenant,
      '--name',
      'shared',
      '--url',
      `file://${upstream}`,
    ]);
    const first = await cli(['sync', 'trigger', repoId]);
    const results = await waitForResults(first, 2);
    expect(results.map((r) => r.worker_id).sort()).toEqual([a.id, b.id].sort());
    expect(results.every((r) => r.status === 'success')).toBe(true);
    for (const dir of [dirA, dirB]) expect(await readdir(join(dir, 'repos', tenant, repoId))).toHaveLength(1);

    const logs = (await cli(['sync', 'logs', repoId, '--json']))
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs).toHaveLength(2);
    for (const field of [
      'task_type',
      'status',
      'duration',
      'local_path',
      'command_output',
      'error_message',
      'worker_id',
    ]) {
      expect(logs[0]).toHaveProperty(field);
    }
    expect(new Set(logs.map((row) => row.worker_id))).toEqual(new Set([a.id, b.id]));

    // B is down while the next sync is published: only A hears it.
    await b.stop();
    const second = await cli(['sync', 'trigger', repoId]);
    expect((await waitForResults(second, 1)).map((r) => r.worker_id)).toEqual([a.id]);
    // B restarts with the same data directory (same worker id) and reconciles at once.
    const restarted = await startWorker(dirB, env);
    workers.push(restarted);
    expect(restarted.id).toBe(b.id);
    expect((await waitForResults(second, 2)).map((r) => r.worker_id).sort()).toEqual([a.id, b.id].sort());
    expect(await readdir(join(dirB, 'repos', tenant, repoId))).toHaveLength(2);

    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(
      /mega_sync_runs_total\{status="success",error_class="none",task_type="manual"\} 2/,
    );
    expect(metrics).toContain('mega_sync_storage_bytes');

    // A delete reaches every worker; each removes all of its copies.
    const deletion = await cli(['sync', 'repo', 'delete', repoId]);
    await waitForResults(deletion, 2);
    for (const dir of [dirA, dirB])
      await expect(readdir(join(dir, 'repos', tenant, repoId))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
