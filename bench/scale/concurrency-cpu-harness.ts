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
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { authEnv } from '../../tests/http/http-fixture.js';
import { loadAverage } from '../report.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';

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

/** utime + stime (with `children`: cutime + cstime) of a process in ms; 0 once it is gone. */
async function cpuMs(pid: number | 'self', children = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  const at = children ? 13 : 11;
  return (Number(fields[at] ?? 0) + Number(fields[at + 1] ?? 0)) * 10;
}

async function pgBackendPids(): Promise<number[]> {
  if (!pgDatabase) return [];
  const { stdout } = await promisify(execFile)('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-qAt',
    '-c',
    `select pid from pg_stat_activity where datname = '${pgDatabase.replace(/[^a-z0-9_]/gi, '')}'`,
  ]);
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Our servers' CPU, and the database backends' by pid (a backend may start mid-burst). */
async function ourCpu(): Promise<{ servers: number; database: Map<number, number> }> {
  let servers = 0;
  for (const pid of serverPids) servers += await cpuMs(pid);
  const database = new Map<number, number>();
  for (const pid of await pgBackendPids()) database.set(pid, await cpuMs(pid));
  return { servers, database };
}

/** One `git clone --mirror` under `/usr/bin/time`: its CPU ms with every process it waited for. */
function timedClone(url: string, target: string, env: Record<string, string>): Promise<number> {
  return new Promise((done, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', 'git', 'clone', '-q', '--mirror', url, target], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const [user, sys] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
      if (code !== 0 || user === undefined || sys === undefined) reject(new Error(`clone failed: ${stderr}`));
      else done(Math.round((user + sys) * 1000));
    });
  });
}

async function burst(dir: string, label: string, urls: readonly string[], env: Record<string, string>) {
  const started = performance.now();
  const cpu = await Promise.all(
    Array.from({ length: clones }, (_, i) =>
      timedClone(urls[i % urls.length] as string, join(dir, `${label}-${i}`), env),
    ),
  );
  const wall = Math.round(performance.now() - started);
  for (let i = 0; i < clones; i++) await rm(join(dir, `${label}-${i}`), { recursive: true, force: true });
  return { wall, client: cpu.reduce((a, b) => a + b, 0) };
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
        const { wall, client } = await burst(dir, side, ourUrls, authEnv(token));
        const after = await ourCpu();
        let database = 0;
        for (const [pid, ms] of after.database) database += ms - (before.database.get(pid) ?? 0);
        console.log(
          `ours: wall ${wall} ms, clients ${client} ms CPU, servers ${after.servers - before.servers} ms, database ${database} ms, load ${load}`,
        );
      } else {
        const before = await cpuMs('self', true);
        const { wall, client } = await burst(dir, side, [cgitUrl], {});
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
