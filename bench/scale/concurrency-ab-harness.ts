/**
 * Harness (not part of `npm run bench`): the concurrency bench's burst of full clones, for two
 * builds and C git, alternated round by round, with CPU time beside the wall time. Each build
 * gets its own scratch PostgreSQL database and `--servers` `mega serve` processes (its
 * `bin/mega.js`), the repository pushed and warmed as in the bench. Per burst: wall time, the
 * clients' CPU (each `git clone --mirror` under `/usr/bin/time`), the servers' CPU from `/proc`,
 * the database backends' CPU, each server's peak RSS, the load average. C git's side counts its
 * `http-backend` processes and the bridge (this process) that relays their bytes, as our servers
 * relay theirs.
 *
 *   npx tsx bench/scale/concurrency-ab-harness.ts --repo DIR --builds ROOT,ROOT… [--rounds N]
 *     [--clones N] [--servers N] [--cpu-prof DIR] [--no-cgit]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import { createScratchDatabase, type ScratchDatabase } from '../../tests/support/scratch-database.js';
import { argValue, loadAverage } from '../report.js';
import { prepareMirror } from '../smart-http/bench-repository.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { cloneBurst, cpuMs, postgresBackendPids } from './clone-burst.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';

const args = process.argv.slice(2);
const repo = argValue(args, '--repo') ?? '/work/bench-repos/express.git';
const builds = (argValue(args, '--builds') ?? process.cwd()).split(',');
const rounds = Number(argValue(args, '--rounds') ?? 3);
const clones = Number(argValue(args, '--clones') ?? 30);
const serverCount = Number(argValue(args, '--servers') ?? 2);
const cpuProf = argValue(args, '--cpu-prof');
const withCgit = !args.includes('--no-cgit');

interface Side {
  readonly label: string;
  readonly servers: MegaServer[];
  readonly database: ScratchDatabase;
  readonly token: string;
}

async function backendCpu(databaseUrl: string): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  for (const pid of await postgresBackendPids(new URL(databaseUrl).pathname.slice(1)))
    cpu.set(pid, await cpuMs(pid));
  return cpu;
}

async function peakMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function startSide(dir: string, root: string, index: number, mirror: string): Promise<Side> {
  const database = await createScratchDatabase('postgres', { migrate: false });
  const keyFile = join(dir, `secret-${index}.key`);
  await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const env = { MEGA_DATABASE_URL: database.url, MEGA_SECRET_KEY_FILE: keyFile };
  const created = await runMega(
    ['token', 'create', 'bench', '--admin', '--data', join(dir, `data-${index}-0`)],
    {
      env,
    },
  );
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  const token = created.stdout.trim().split('\n').pop() ?? '';
  const servers: MegaServer[] = [];
  for (let i = 0; i < serverCount; i++) {
    servers.push(
      await startMegaServer({
        dataDir: join(dir, `data-${index}-${i}`),
        env,
        args: ['--no-worker'],
        bin: join(root, 'bin/mega.js'),
        nodeArgs: [
          ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}/${index}`] : []),
          // e.g. `--require` of a script counting the database queries.
          ...(process.env.HARNESS_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        ],
        startTimeoutMs: 60_000,
      }),
    );
  }
  const urls = servers.map((server) => `${server.url}/import/bench`);
  await git(['-C', mirror, 'push', '-q', '--mirror', urls[0] as string], { env: authEnv(token) });
  for (const server of servers) await waitForIdle(server.process.pid ?? 0);
  await warm(dir, urls, authEnv(token));
  for (const server of servers) await waitForIdle(server.process.pid ?? 0);
  return { label: `${index}:${root}`, servers, database, token };
}

/** One clone from each URL at once (pack caches and recorded walks made, pages cached). */
async function warm(dir: string, urls: readonly string[], env: Record<string, string>): Promise<void> {
  await Promise.all(
    urls.map((url, i) => git(['clone', '-q', '--mirror', url, join(dir, `warm-${i}`)], { env })),
  );
  for (let i = 0; i < urls.length; i++) await rm(join(dir, `warm-${i}`), { recursive: true, force: true });
}

async function oursBurst(dir: string, side: Side) {
  const urls = side.servers.map((server) => `${server.url}/import/bench`);
  const pids = side.servers.map((server) => server.process.pid ?? 0);
  for (const pid of pids) await writeFile(`/proc/${pid}/clear_refs`, '5');
  const before = await Promise.all(pids.map((pid) => cpuMs(pid)));
  const dbBefore = await backendCpu(side.database.url);
  const result = await cloneBurst(dir, 'ours', urls, clones, authEnv(side.token));
  const after = await Promise.all(pids.map((pid) => cpuMs(pid)));
  const dbAfter = await backendCpu(side.database.url);
  let db = 0;
  for (const [pid, ms] of dbAfter) db += ms - (dbBefore.get(pid) ?? 0);
  const peaks = await Promise.all(pids.map((pid) => peakMb(pid)));
  return {
    ...result,
    servers: after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0),
    db,
    peaks,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'concurrency-ab-'));
const cgitRoot = join(dir, 'cgit');
const mirror = join(cgitRoot, 'bench.git');
await prepareMirror({ repo, commits: 0, files: 0 }, dir, mirror);
const sides: Side[] = [];
const bridge = await startHttpBackendBridge(cgitRoot);
try {
  for (const [index, root] of builds.entries()) sides.push(await startSide(dir, root, index, mirror));
  const cgitUrl = `${bridge.url}/bench.git`;
  await warm(dir, [cgitUrl], {});
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const load = await loadAverage();
      const startedAt = Date.now();
      const r = await oursBurst(dir, side);
      console.log(
        `round ${round} build ${side.label}: wall ${r.wall} ms, clients ${r.client} ms, servers ${r.servers} ms, db ${r.db} ms, peaks ${r.peaks.join('/')} MB, load ${load}, from ${startedAt}`,
      );
      for (const server of side.servers) await waitForIdle(server.process.pid ?? 0);
    }
    if (withCgit) {
      const load = await loadAverage();
      const before = (await cpuMs('self', true)) + (await cpuMs('self'));
      const { wall, client } = await cloneBurst(dir, 'cgit', [cgitUrl], clones, {});
      const backend = (await cpuMs('self', true)) + (await cpuMs('self')) - before - client;
      console.log(
        `round ${round} cgit: wall ${wall} ms, clients ${client} ms, http-backend+bridge ${backend} ms, load ${load}`,
      );
    }
  }
} finally {
  await bridge.close();
  for (const side of sides) {
    for (const server of side.servers) await server.stop();
    await side.database.drop();
  }
  await rm(dir, { recursive: true, force: true });
}
