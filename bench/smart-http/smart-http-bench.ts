import { mkdtemp, readFile, rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { prepareMirror } from './bench-repository.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { startHttpBackendBridge } from './http-backend-bridge.js';

/**
 * `clone` and `push` benchmarks: the same repository served by `mega serve` and by C git's
 * `git http-backend`, each behind a byte-counting loopback proxy; `git clone --mirror` /
 * `git push --mirror` timed against both in the same run. Ratios are ours / C git. Clones are
 * measured three ways per run:
 * - `clone-unrecorded`: the clone pack cache emptied and the recorded clone walks deleted, so the
 *   server walks the whole history (a repository's first clone ever). Printed twice: against C
 *   git without reachability bitmaps (which must walk too, as between a push and the next full
 *   repack) and against C git with them;
 * - `clone`: the pack cache emptied, the walk recorded (as after any push: C git's repository has
 *   the reachability bitmaps `repack` wrote), so the pack is computed from the database;
 * - `clone-cached`: right after, served from the pack the previous clone cached.
 */
interface BenchSetup {
  readonly dir: string;
  readonly mirror: string;
  readonly description: string;
  readonly runs: number;
  readonly dataDir: string;
  readonly token: string;
  readonly cgitRoot: string;
  /** The server's database when `--database postgres|mysql` asked for one (else SQLite in `dataDir`). */
  readonly scratch?: ScratchDatabase;
  /** Environment of every `mega` process: the database URL when not the default. */
  readonly env: Readonly<Record<string, string>>;
}

/** `--database sqlite|postgres|mysql`: a scratch database of that dialect (SQLite by default). */
async function scratchFor(args: readonly string[]): Promise<ScratchDatabase | undefined> {
  const name = argValue(args, '--database') ?? 'sqlite';
  if (!DIALECT_NAMES.includes(name as DialectName)) throw new Error(`unknown --database ${name}`);
  return name === 'sqlite' ? undefined : createScratchDatabase(name as DialectName, { migrate: false });
}

async function setUp(args: readonly string[]): Promise<BenchSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'mega-bench-http-'));
  const cgitRoot = join(dir, 'cgit');
  const mirror = join(cgitRoot, 'bench.git');
  const repo = argValue(args, '--repo');
  const largeFiles = argValue(args, '--large-files');
  const largeFileBytes = argValue(args, '--large-file-mib');
  const description = await prepareMirror(
    {
      ...(repo ? { repo } : {}),
      commits: Number(argValue(args, '--commits') ?? 1000),
      files: Number(argValue(args, '--files') ?? 1000),
      ...(largeFiles ? { largeFiles: Number(largeFiles) } : {}),
      ...(largeFileBytes ? { largeFileBytes: Math.round(Number(largeFileBytes) * 1024 * 1024) } : {}),
    },
    dir,
    mirror,
  );
  const dataDir = join(dir, 'data');
  const scratch = await scratchFor(args);
  const env: Record<string, string> = scratch ? { MEGA_DATABASE_URL: scratch.url } : {};
  const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir], { env });
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  const token = created.stdout.trim().split('\n').pop() ?? '';
  const runs = Number(argValue(args, '--runs') ?? 3);
  return { dir, mirror, description, runs, dataDir, token, cgitRoot, env, ...(scratch ? { scratch } : {}) };
}

async function tearDown(setup: BenchSetup): Promise<void> {
  await setup.scratch?.drop();
  await rm(setup.dir, { recursive: true, force: true });
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** CPU ticks (user + system) a process has used so far. */
async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Waits until a process has used no CPU for `quietMs` (at most `maxMs`). */
export async function waitForIdle(pid: number, quietMs = 300, maxMs = 60_000): Promise<void> {
  let last = -1;
  let quiet = 0;
  for (let waited = 0; waited < maxMs && quiet < quietMs / 100; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ticks = await cpuTicks(pid);
    quiet = ticks === last ? quiet + 1 : 0;
    last = ticks;
  }
}

async function peakRssMb(server: MegaServer): Promise<number> {
  const status = await readFile(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface Measured {
  readonly ms: number;
  readonly bytes: number;
}

async function measure(proxy: CountingProxy, step: () => Promise<unknown>): Promise<Measured> {
  proxy.reset();
  const { ms } = await timeMs(step);
  const { down, up } = proxy.counts();
  return { ms, bytes: down + up };
}

async function objectCount(repo: string): Promise<number> {
  const text = await gitText(['-C', repo, 'count-objects', '-v']);
  return Number(/in-pack: (\d+)/.exec(text)?.[1] ?? 0) + Number(/^count: (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Refs of a repository as `name id` lines, to check both servers gave the same result. */
const refList = (repo: string) => gitText(['-C', repo, 'for-each-ref', '--format=%(refname) %(objectname)']);

/**
 * Deletes the server's recorded clone walks, straight in its database (SQLite's WAL mode lets
 * another process write while it runs): a bench-only way to measure a clone that must walk.
 */
async function forgetCloneWalks(setup: BenchSetup): Promise<void> {
  if (setup.scratch) {
    await setup.scratch.database.db.deleteFrom('clone_walk_parts').execute();
    await setup.scratch.database.db.deleteFrom('clone_walks').execute();
    return;
  }
  const db = new Database(join(setup.dataDir, 'mega.db'));
  try {
    db.exec('delete from clone_walk_parts; delete from clone_walks');
  } finally {
    db.close();
  }
}

export async function runCloneBench(args: readonly string[]): Promise<BenchResult[]> {
  const setup = await setUp(args);
  let server: MegaServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    server = await startMegaServer({ dataDir: setup.dataDir, env: setup.env });
    await git(['-C', setup.mirror, 'push', '-q', '--mirror', `${server.url}/import/bench.git`], {
      env: authEnv(setup.token),
    });
    await server.stop();
    // A fresh process, so its peak RSS is the clones' alone.
    server = await startMegaServer({ dataDir: setup.dataDir, env: setup.env });
    const bridge = await startHttpBackendBridge(setup.cgitRoot);
    closers.push(() => bridge.close());
    const ours = await startCountingProxy(server.url);
    const theirs = await startCountingProxy(bridge.url);
    closers.push(
      () => ours.close(),
      () => theirs.close(),
    );
    const expected = await refList(setup.mirror);
    const cacheDir = join(setup.dataDir, 'cache', 'packs');
    // C git without reachability bitmaps, as a repository is between a push and its next full
    // repack: the fair match for our clone that must walk (no recorded walk either).
    await git(['clone', '-q', '--mirror', '--no-local', setup.mirror, join(setup.cgitRoot, 'plain.git')]);
    const cgitRuns: Measured[] = [];
    const cgitPlainRuns: Measured[] = [];
    const unrecordedRuns: Measured[] = [];
    const coldRuns: Measured[] = [];
    const cachedRuns: Measured[] = [];
    const cloneOurs = async (target: string) => {
      const measured = await measure(ours, () =>
        git(['clone', '-q', '--mirror', `${ours.url}/import/bench.git`, target]),
      );
      if ((await refList(target)) !== expected)
        throw new Error('the clone from mega serve has different refs');
      await rm(target, { recursive: true, force: true });
      return measured;
    };
    for (let run = 0; run < setup.runs; run++) {
      const cgitTarget = join(setup.dir, `clone-cgit-${run}`);
      cgitRuns.push(
        await measure(theirs, () => git(['clone', '-q', '--mirror', `${theirs.url}/bench.git`, cgitTarget])),
      );
      await rm(cgitTarget, { recursive: true, force: true });
      cgitPlainRuns.push(
        await measure(theirs, () => git(['clone', '-q', '--mirror', `${theirs.url}/plain.git`, cgitTarget])),
      );
      await rm(cgitTarget, { recursive: true, force: true });
      if (run === 0) {
        const checked = join(setup.dir, 'clone-mega-checked');
        await git(['clone', '-q', '--mirror', `${ours.url}/import/bench.git`, checked]);
        await git(['-C', checked, 'fsck', '--strict', '--no-progress']);
        await rm(checked, { recursive: true, force: true });
      }
      // First clone ever: no cached pack, no recorded walk (it records the walk again).
      await rm(cacheDir, { recursive: true, force: true });
      await forgetCloneWalks(setup);
      unrecordedRuns.push(await cloneOurs(join(setup.dir, `clone-mega-unrecorded-${run}`)));
      // Cold: the clone pack cache emptied first, so the pack is computed from the database.
      await rm(cacheDir, { recursive: true, force: true });
      coldRuns.push(await cloneOurs(join(setup.dir, `clone-mega-cold-${run}`)));
      // Then the same clone again, served from the pack the cold clone left in the cache.
      cachedRuns.push(await cloneOurs(join(setup.dir, `clone-mega-cached-${run}`)));
    }
    const objects = await objectCount(setup.mirror);
    const rssMb = Math.round(await peakRssMb(server));
    const row = (scenario: string, runs: readonly Measured[], cgit: readonly Measured[]): BenchResult => {
      const ms = median(runs.map((r) => r.ms));
      const bytes = median(runs.map((r) => r.bytes));
      const cgitMs = median(cgit.map((r) => r.ms));
      const cgitBytes = median(cgit.map((r) => r.bytes));
      return {
        scenario,
        repository: setup.description,
        objects,
        cgit_bitmaps: cgit === cgitRuns ? 'yes' : 'no',
        ours_ms: Math.round(ms),
        cgit_ms: Math.round(cgitMs),
        ratio: ms / cgitMs,
        ours_bytes: bytes,
        cgit_bytes: cgitBytes,
        bytes_ratio: bytes / cgitBytes,
        server_rss_mb: rssMb,
      };
    };
    return [
      row('clone-unrecorded', unrecordedRuns, cgitPlainRuns),
      row('clone-unrecorded', unrecordedRuns, cgitRuns),
      row('clone', coldRuns, cgitRuns),
      row('clone-cached', cachedRuns, cgitRuns),
    ];
  } finally {
    for (const close of closers) await close();
    await server?.stop();
    await tearDown(setup);
  }
}

export async function runPushBench(args: readonly string[]): Promise<BenchResult[]> {
  const setup = await setUp(args);
  let server: MegaServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    server = await startMegaServer({ dataDir: setup.dataDir, env: setup.env });
    const bridge = await startHttpBackendBridge(setup.cgitRoot);
    closers.push(() => bridge.close());
    const ours = await startCountingProxy(server.url);
    const theirs = await startCountingProxy(bridge.url);
    closers.push(
      () => ours.close(),
      () => theirs.close(),
    );
    const oursRuns: Measured[] = [];
    const theirRuns: Measured[] = [];
    for (let run = 0; run < setup.runs; run++) {
      await git(['init', '-q', '--bare', join(setup.cgitRoot, `push-${run}.git`)]);
      theirRuns.push(
        await measure(theirs, () =>
          git(['-C', setup.mirror, 'push', '-q', '--mirror', `${theirs.url}/push-${run}.git`]),
        ),
      );
      oursRuns.push(
        await measure(ours, () =>
          git(['-C', setup.mirror, 'push', '-q', '--mirror', `${ours.url}/import/push-${run}.git`], {
            env: authEnv(setup.token),
          }),
        ),
      );
      // The push records clone walks in the background: let that finish before the next timing.
      await waitForIdle(server.process.pid ?? 0);
    }
    const oursMs = median(oursRuns.map((r) => r.ms));
    const theirMs = median(theirRuns.map((r) => r.ms));
    return [
      {
        scenario: 'push',
        repository: setup.description,
        objects: await objectCount(setup.mirror),
        ours_ms: Math.round(oursMs),
        cgit_ms: Math.round(theirMs),
        ratio: oursMs / theirMs,
        bytes_ratio: median(oursRuns.map((r) => r.bytes)) / median(theirRuns.map((r) => r.bytes)),
        server_rss_mb: Math.round(await peakRssMb(server)),
      },
    ];
  } finally {
    for (const close of closers) await close();
    await server?.stop();
    await tearDown(setup);
  }
}
