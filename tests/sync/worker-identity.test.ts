import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runMega,
  startMegaServer,
  startMegaWorker,
  type MegaServer,
  type MegaWorker,
} from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { openDatabase, type MegaDatabase } from '../../src/storage/open-database.js';
import { SyncRunStore } from '../../src/storage/sync/sync-run-store.js';
import { makeUpstream } from './support/sync-harness.js';

/**
 * Every process runs under its own worker id (issue 17): two `mega worker` processes and
 * `mega serve`'s worker on one data directory get three ids, three copies and three results; a
 * restarted (even killed) worker gets its id back; a configured id another process holds is
 * refused with one line.
 */
describe('worker ids of processes sharing a data directory', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let dataDir: string;
  let database: MegaDatabase;
  let runs: SyncRunStore;
  const env = { MEGA_SYNC_ALLOW_FILE_URLS: 'true' };
  const processes: Array<MegaWorker | MegaServer> = [];

  beforeAll(async () => {
    temp = await makeTempDir('mega-worker-ids-');
    dataDir = join(temp.path, 'data');
    expect((await runMega(['migrate', '--data', dataDir], { env })).code).toBe(0);
    database = openDatabase(`sqlite:${join(dataDir, 'mega.db')}`);
    runs = new SyncRunStore(database.db, database.capabilities);
  });
  afterAll(async () => {
    for (const child of processes) await child.stop();
    await database?.close();
    await temp?.remove();
  });

  const cli = async (args: string[]) => {
    const result = await runMega([...args, '--data', dataDir], { env });
    if (result.code !== 0) throw new Error(`mega ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const idFile = async (name: string) => (await readFile(join(dataDir, name), 'utf8')).trim();
  /** Workers without Redis poll the stored requests every 3 s. */
  const waitForResults = async (requestId: string, count: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const results = await runs.resultsOf(requestId);
      if (results.length >= count) return results;
      if (Date.now() > deadline) throw new Error(`only ${results.length} results for ${requestId}`);
      await sleep(200);
    }
  };

  it('gives each process its own id, copy, cache and result', async () => {
    const a = await startMegaWorker({ dataDir, env });
    processes.push(a);
    const b = await startMegaWorker({ dataDir, env });
    processes.push(b);
    const server = await startMegaServer({ dataDir, env });
    processes.push(server);
    // First come, first slot: the id files of slots 0, 1 and 2.
    expect(a.id).toBe(await idFile('sync-worker-id'));
    expect(b.id).toBe(await idFile('sync-worker-id.1'));
    const served = await idFile('sync-worker-id.2');
    expect(new Set([a.id, b.id, served]).size).toBe(3);

    const upstream = await makeUpstream(temp.path, 2);
    const tenant = await cli(['sync', 'tenant', 'add', 'shared-disk']);
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
    const request = await cli(['sync', 'trigger', repoId]);
    const results = await waitForResults(request, 3);
    expect(results.map((result) => result.worker_id).sort()).toEqual([a.id, b.id, served].sort());
    expect(results.every((result) => result.status === 'success')).toBe(true);

    const copies = await readdir(join(dataDir, 'repos', tenant, repoId));
    expect(copies.map((name) => name.split('_')[0]).sort()).toEqual([a.id, b.id, served].sort());
    expect((await readdir(join(dataDir, 'repos', '.cache'))).sort()).toEqual([a.id, b.id, served].sort());
  });

  it('refuses a configured id in use with one line, and gives a killed worker its id back', async () => {
    const [a, b] = processes as [MegaWorker, MegaWorker];
    const refused = await runMega(['worker', '--data', dataDir, '--port', '0'], {
      env: { ...env, MEGA_WORKER_ID: a.id },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^mega: worker id ${a.id} is in use by process \\d+ on \\S+;`));
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    // SIGKILL leaves its lock behind; the lock's process is gone, so the id is free again.
    await b.stop('SIGKILL');
    const restarted = await startMegaWorker({ dataDir, env });
    processes.push(restarted);
    expect(restarted.id).toBe(b.id);
  });
});
