/**
 * Harness (not part of `npm run bench`): where the CPU of many concurrent full clones goes, the
 * concurrency bench's burst measured by CPU time besides wall time. Running `mega serve`
 * processes (their repository URLs and pids given, the repository pushed and warmed) against C
 * git's `http-backend` on a bare repository, alternated. Per burst: the wall time, the clients'
 * CPU (each `git clone --mirror` under `/usr/bin/time`, so with its `remote-https`, `fetch-pack`
 * and `index-pack`), and the servers': ours from `/proc` (plus the PostgreSQL backends of
 * `HARNESS_PG_DATABASE`, found with `psql`), C git's `http-backend` processes as this process's
 * reaped children less the clients.
 *
 *   npx tsx bench/scale/concurrency-cpu-harness.ts <URL,URL…> <pid,pid…> <bare repository> [clones] [rounds]
 *
 * Clones go round-robin over the URLs. Environment: `HARNESS_TOKEN` authenticates our clones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { loadAverage } from '../report.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { cloneBurst, cpuMs, postgresBackendPids } from './clone-burst.js';

const [urlsArg, pidsArg, cgitRepo, clonesArg = '30', roundsArg = '3'] = process.argv.slice(2);
if (!urlsArg || !pidsArg || !cgitRepo) {
  throw new Error(
    'usage: concurrency-cpu-harness.ts <URL,URL…> <pid,pid…> <bare repository> [clones] [rounds]',
  );
}
const ourUrls = urlsArg.split(',');
const serverPids = pidsArg.split(',').map(Number);
const clones = Number(clonesArg);
const token = process.env.HARNESS_TOKEN ?? '';
const pgDatabase = process.env.HARNESS_PG_DATABASE;

/** Our servers' CPU, and the database backends' by pid (a backend may start mid-burst). */
async function ourCpu(): Promise<{ servers: number; database: Map<number, number> }> {
  let servers = 0;
  for (const pid of serverPids) servers += await cpuMs(pid);
  const database = new Map<number, number>();
  for (const pid of pgDatabase ? await postgresBackendPids(pgDatabase) : [])
    database.set(pid, await cpuMs(pid));
  return { servers, database };
}

const dir = await mkdtemp(join(tmpdir(), 'concurrency-cpu-'));
const bridge = await startHttpBackendBridge(dirname(resolve(cgitRepo)));
try {
  const cgitUrl = `${bridge.url}/${basename(cgitRepo)}`;
  for (let round = 0; round < Number(roundsArg); round++) {
    for (const side of round % 2 === 0 ? ['ours', 'cgit'] : ['cgit', 'ours']) {
      const load = await loadAverage();
      if (side === 'ours') {
        const before = await ourCpu();
        const { wall, client } = await cloneBurst(dir, side, ourUrls, clones, authEnv(token));
        const after = await ourCpu();
        let database = 0;
        for (const [pid, ms] of after.database) database += ms - (before.database.get(pid) ?? 0);
        console.log(
          `ours: wall ${wall} ms, clients ${client} ms CPU, servers ${after.servers - before.servers} ms, database ${database} ms, load ${load}`,
        );
      } else {
        const before = await cpuMs('self', true);
        const { wall, client } = await cloneBurst(dir, side, [cgitUrl], clones, {});
        const backend = (await cpuMs('self', true)) - before - client;
        console.log(
          `cgit: wall ${wall} ms, clients ${client} ms CPU, http-backend ${backend} ms, load ${load}`,
        );
      }
    }
  }
} finally {
  await bridge.close();
  await rm(dir, { recursive: true, force: true });
}
