import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_QUIET_MS } from '../../src/platform/foreground-work.js';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import {
  addReleaseRefs,
  generateHistoryRepo,
  isHistorySize,
  newCommitOnMain,
  refLines,
} from '../../tests/support/generated-history.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import {
  createScratchDatabase,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { startCountingProxy, type CountingProxy } from '../smart-http/counting-proxy.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';

/**
 * `npm run bench -- scale [--size small|large] [--repo DIR] [--database sqlite|postgres|mysql] [--rounds N] [--other-branch NAME] [--push-series N] [--check]`
 *
 * A repository the size of git/git through the server end to end (issue 20), every step timed
 * against C git's `git http-backend` serving the same input in the same run:
 * push (`--mirror`), the first clone right after it (the walk recorder may still run), a cached
 * clone, a clone with the walk recorded but no cached pack, the first `--single-branch` clone
 * (the default branch's walk, recorded after the push), `fetch` after one new commit (and
 * the push of that commit; `--rounds N` repeats these two N times, the later rounds on a warm
 * server), a shallow clone, `ls-remote`. First clones of want sets the recorder does not record
 * (another branch alone, `--other-branch` or the first other branch, `blob:limit`, `tree:1`) run against a bitmapped copy of C git's
 * repository (`repack -adb`, filters allowed): what git answers them from. Clones are `--bare` (what `git clone`
 * fetches, without the checkout both sides would pay alike). Each step runs once: at this size a
 * run takes minutes. Peak RSS is the server's high-water mark during that step alone (reset
 * through /proc/PID/clear_refs before it). `--check` then runs the large-repository correctness
 * test (tests/scale/large-repository.test.ts, MEGA_TEST_LARGE=1) on the same repository.
 * `--push-series N` runs only the push: N first `--mirror` pushes into new repositories of one
 * server, each followed by its idle memory (the push target holds over a series, not one run).
 */
export async function runScaleBench(args: readonly string[]): Promise<BenchResult[]> {
  const size = argValue(args, '--size') ?? 'large';
  const given = argValue(args, '--repo');
  if (!given && !isHistorySize(size)) throw new Error('--size must be small or large');
  const dialect = (argValue(args, '--database') ?? 'sqlite') as DialectName;
  const rounds = Number(argValue(args, '--rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const pushSeries = Number(argValue(args, '--push-series') ?? 0);
  if (!Number.isInteger(pushSeries) || pushSeries < 0)
    throw new Error('--push-series must be a whole number');
  const dir = await mkdtemp(join(tmpdir(), 'mega-bench-scale-'));
  const closers: Array<() => Promise<void>> = [];
  let server: MegaServer | undefined;
  let scratch: ScratchDatabase | undefined;
  try {
    const source = await prepareSource(dir, given, size);
    const otherBranch = argValue(args, '--other-branch') ?? (await otherBranchOf(source));
    const label = given ?? `generated ${size}`;
    const objects = await objectCount(source);
    const refs = (await gitText(['for-each-ref', '--format=x'], { cwd: source })).split('\n').length;
    const cgitRoot = join(dir, 'cgit');
    const cgitRepo = join(cgitRoot, 'large.git');
    await git(['init', '-q', '--bare', cgitRepo]);
    // A mirror push leaves HEAD alone: without this, C git's HEAD names a branch that does not
    // exist, and a shallow clone (single-branch: HEAD's) fetches nothing.
    const head = await gitText(['symbolic-ref', 'HEAD'], { cwd: source });
    await git(['symbolic-ref', 'HEAD', head], { cwd: cgitRepo });
    const dataDir = join(dir, 'data');
    scratch = dialect === 'sqlite' ? undefined : await createScratchDatabase(dialect, { migrate: false });
    const env: Record<string, string> = scratch ? { MEGA_DATABASE_URL: scratch.url } : {};
    const token = await createToken(dataDir, env);
    server = await startMegaServer({ dataDir, env, startTimeoutMs: 120_000 });
    const live = server;
    const bridge = await startHttpBackendBridge(cgitRoot);
    const ours = await startCountingProxy(server.url);
    const theirs = await startCountingProxy(bridge.url);
    closers.push(bridge.close, ours.close, theirs.close);
    const oursUrl = `${ours.url}/import/large.git`;
    const theirsUrl = `${theirs.url}/large.git`;
    const results: BenchResult[] = [];
    type Run = (url: string, side: 'ours' | 'cgit') => Promise<unknown>;
    type StepOptions = { oursFirst?: boolean; cgitUrl?: string; oursUrl?: string };
    const step = async (name: string, run: Run, options: StepOptions = {}) => {
      const cgitUrl = options.cgitUrl ?? theirsUrl;
      const cgitFirst = options.oursFirst ? undefined : await measure(theirs, () => run(cgitUrl, 'cgit'));
      await resetPeakRss(live);
      const mine = await measure(ours, () => run(options.oursUrl ?? oursUrl, 'ours'));
      const peakMb = await peakRssMb(live);
      // C git measured second must not share the CPU with our server's background jobs (the
      // search indexer starts once our clone ends): the idle point the bench waits for anyway.
      // After a fetch the indexer waits, without CPU, about as long as the fetch took (up to
      // `MAX_QUIET_MS`): idle is looked for after that.
      if (!cgitFirst) {
        await sleep(Math.min(mine.ms, MAX_QUIET_MS));
        await waitForIdle(live.process.pid ?? 0, 3000, 180_000);
      }
      const cgit = cgitFirst ?? (await measure(theirs, () => run(cgitUrl, 'cgit')));
      results.push({
        scenario: name,
        repository: label,
        objects,
        refs,
        database: dialect,
        ours_ms: Math.round(mine.ms),
        cgit_ms: Math.round(cgit.ms),
        ratio: mine.ms / cgit.ms,
        bytes_ratio: mine.bytes / cgit.bytes,
        step_peak_rss_mb: Math.round(peakMb),
      });
    };
    // Both sides send the same Authorization header (C git's bridge ignores it), so the bytes
    // counted on each connection differ only by what the servers answer.
    const credentials = authEnv(token);
    const push = (url: string, refs: readonly string[]) =>
      git(['push', '-q', url, ...refs], { cwd: source, env: credentials });
    const clone = (url: string, target: string, extra: readonly string[] = []) =>
      git(['clone', '-q', '--bare', ...extra, url, target]);
    const target = (side: string, name: string) => join(dir, `${side}-${name}.git`);
    const idleAfter = async (scenario: string) => {
      // Idle: 3 s without CPU, up to 3 min (the search indexer and the walk recorder run for a
      // minute after a large first push, and start after timers: 300 ms of quiet is not idle).
      await waitForIdle(live.process.pid ?? 0, 3000, 180_000);
      results.push({
        scenario,
        server_rss_mb: Math.round(live.rssMb()),
        ...(await idleRssParts(live.process.pid ?? 0)),
      });
    };

    if (pushSeries > 0) {
      // The push target's series: each round a first `--mirror` push into a new repository on
      // both sides, on the same server, so its idle memory after each round shows any growth.
      for (let round = 1; round <= pushSeries; round++) {
        const name = `series-${round}.git`;
        await git(['init', '-q', '--bare', join(cgitRoot, name)]);
        await git(['symbolic-ref', 'HEAD', head], { cwd: join(cgitRoot, name) });
        const urls = { oursUrl: `${ours.url}/import/${name}`, cgitUrl: `${theirs.url}/${name}` };
        await step(`push (round ${round})`, (url) => push(url, ['--mirror']), urls);
        await idleAfter(`idle-after-push (round ${round})`);
        const [mine, theirsRefs] = await Promise.all([
          gitText(['ls-remote', urls.oursUrl]),
          gitText(['ls-remote', urls.cgitUrl]),
        ]);
        if (mine !== theirsRefs)
          throw new Error(`push round ${round}: the two servers advertise different refs`);
      }
      return results;
    }

    await step('push', (url) => push(url, ['--mirror']));
    // A CI job's clone, right after the push: nothing cached, the walk recorder may be running.
    await step('clone-after-push', (url, side) => clone(url, target(side, 'first')), { oursFirst: true });
    await idleAfter('idle-after-push');
    await sameRefs(target('ours', 'first'), target('cgit', 'first'));
    await step('clone-cached', (url, side) => clone(url, target(side, 'cached')));
    await rm(join(dataDir, 'cache', 'packs'), { recursive: true, force: true });
    await step('clone-recorded', (url, side) => clone(url, target(side, 'recorded')));
    // The default branch alone: its own want set, recorded after the push like the full clone's.
    await step('clone-single-branch', (url, side) => clone(url, target(side, 'single'), ['--single-branch']));
    await sameRefs(target('ours', 'single'), target('cgit', 'single'));
    // Want sets no recorded walk answers as it stands, against what git answers them from: its
    // reachability bitmaps.
    const bitmapped = { cgitUrl: `${theirs.url}/${await bitmappedCopy(cgitRepo)}` };
    const unrecorded: Array<[string, string[]]> = [
      ['other-branch', ['--single-branch', '--branch', otherBranch]],
      ['blob-limit', ['--filter=blob:limit=1k']],
      ['tree-1', ['--filter=tree:1']],
    ];
    for (const [name, extra] of unrecorded) {
      await step(`clone-${name}`, (url, side) => clone(url, target(side, name), extra), bitmapped);
      await sameRefs(target('ours', name), target('cgit', name));
    }
    for (let round = 1; round <= rounds; round++) {
      // The first round runs on a cold server (its JIT has not seen a fetch yet); later ones warm.
      const suffix = round === 1 ? '' : ` (round ${round})`;
      await newCommitOnMain(source, `dir0/next-${round}.txt`);
      await step(`push-one-commit${suffix}`, (url) => push(url, ['main']));
      await step(`fetch-one-commit${suffix}`, (_url, side) =>
        git(['fetch', '-q', 'origin', '+refs/heads/*:refs/heads/*'], {
          cwd: target(side, 'cached'),
          env: credentials,
        }),
      );
      await sameRefs(target('ours', 'cached'), target('cgit', 'cached'));
    }
    await step('clone-shallow', (url, side) => clone(url, target(side, 'shallow'), ['--depth', '1']));
    await sameRefs(target('ours', 'shallow'), target('cgit', 'shallow'));
    await step('ls-remote', (url) => git(['ls-remote', url]));
    if (args.includes('--check')) results.push(await runCheck(source, env));
    return results;
  } finally {
    for (const close of closers) await close();
    await server?.stop();
    await scratch?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The repository to serve: a given one (all refs, packed as a server keeps it) or a generated one. */
async function prepareSource(dir: string, given: string | undefined, size: string): Promise<string> {
  if (given) {
    const mirror = join(dir, 'source.git');
    await git(['clone', '-q', '--mirror', '--no-local', given, mirror]);
    await git(['repack', '-q', '-a', '-d'], { cwd: mirror });
    return mirror;
  }
  const repo = await generateHistoryRepo(dir, size as 'small' | 'large');
  await addReleaseRefs(repo);
  return repo;
}

/**
 * A branch other than the one `HEAD` names, for `clone --single-branch --branch`: the first such
 * branch of `source`, else one made at the middle of the default branch's first-parent history
 * (the pre-generated repositories have one branch).
 */
async function otherBranchOf(source: string): Promise<string> {
  const head = await gitText(['symbolic-ref', 'HEAD'], { cwd: source });
  const branches = (await gitText(['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: source }))
    .split('\n')
    .filter((name) => name !== '' && name !== head);
  const other = branches[0];
  if (other) return other.slice('refs/heads/'.length);
  const count = Number(await gitText(['rev-list', '--count', '--first-parent', 'HEAD'], { cwd: source }));
  const middle = await gitText(['rev-parse', `HEAD~${Math.floor(count / 2)}`], { cwd: source });
  await git(['update-ref', 'refs/heads/bench-other', middle], { cwd: source });
  return 'bench-other';
}

/**
 * A copy of C git's pushed repository packed as a serving git keeps it (`repack -adb`: one pack
 * and its reachability bitmap), filters allowed; its name beside `repo`.
 */
async function bitmappedCopy(repo: string): Promise<string> {
  const name = 'bitmapped.git';
  const copy = join(repo, '..', name);
  await cp(repo, copy, { recursive: true });
  await git(['repack', '-q', '-a', '-d', '-b'], { cwd: copy });
  await git(['config', 'uploadpack.allowFilter', 'true'], { cwd: copy });
  return name;
}

/**
 * Where the idle RSS lies (docs/scale.md, "What holds the idle server's memory"): glibc's main
 * arena (`[heap]`: freed memory there is not given back) and the anonymous maps (V8's pages, other
 * arenas, big buffers), in MiB.
 */
export async function idleRssParts(pid: number): Promise<{ brk_heap_mb: number; anon_maps_mb: number }> {
  const kib = { heap: 0, anon: 0 };
  let mapping: 'heap' | 'anon' | undefined;
  for (const line of (await readFile(`/proc/${pid}/smaps`, 'utf8')).split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1] ?? '';
      mapping = name === '[heap]' ? 'heap' : name === '' ? 'anon' : undefined;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mapping) kib[mapping] += Number(rss[1]);
  }
  return { brk_heap_mb: Math.round(kib.heap / 1024), anon_maps_mb: Math.round(kib.anon / 1024) };
}

async function createToken(dataDir: string, env: Record<string, string>): Promise<string> {
  const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir], { env });
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  return created.stdout.trim().split('\n').pop() ?? '';
}

/** Both servers must have given the same result, or the timings compare different work. */
async function sameRefs(ours: string, cgit: string): Promise<void> {
  if ((await refLines(ours)) !== (await refLines(cgit)))
    throw new Error(`${ours} and ${cgit} have different refs: the servers disagree`);
}

async function objectCount(repo: string): Promise<number> {
  const text = await gitText(['count-objects', '-v'], { cwd: repo });
  return Number(/in-pack: (\d+)/.exec(text)?.[1] ?? 0) + Number(/^count: (\d+)/m.exec(text)?.[1] ?? 0);
}

async function measure(
  proxy: CountingProxy,
  run: () => Promise<unknown>,
): Promise<{ ms: number; bytes: number }> {
  proxy.reset();
  const { ms } = await timeMs(run);
  const { down, up } = proxy.counts();
  return { ms, bytes: down + up };
}

/** proc(5) clear_refs: writing 5 resets the peak resident set size (VmHWM) to the current one. */
async function resetPeakRss(server: MegaServer): Promise<void> {
  await writeFile(`/proc/${server.process.pid}/clear_refs`, '5');
}

async function peakRssMb(server: MegaServer): Promise<number> {
  const status = await readFile(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The large-repository correctness test on `source` (MEGA_TEST_LARGE=1); a row with its outcome. */
async function runCheck(source: string, env: Record<string, string>): Promise<BenchResult> {
  const { ms, value: code } = await timeMs(
    () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn('npx', ['vitest', 'run', 'tests/scale/large-repository.test.ts'], {
          env: { ...process.env, ...env, MEGA_TEST_LARGE: '1', MEGA_TEST_LARGE_REPO: source },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', reject);
        child.on('close', (exit) => resolve(exit ?? -1));
      }),
  );
  return {
    scenario: 'check (tests/scale/large-repository.test.ts)',
    outcome: code === 0 ? 'passed' : 'FAILED',
    ours_ms: Math.round(ms),
  };
}
