/**
 * Harness (not part of `npm run bench`): the scale bench's `push` and `clone-after-push` steps
 * alone, with where the clone's time goes. C git's bare repository behind `git http-backend` gets
 * `git push --mirror` of `source` first, then a fresh `mega serve` (SQLite) does; our clone starts
 * as soon as our push returns, C git's once our server is idle again (as the bench does).
 *
 *   npx tsx bench/scale/after-push-harness.ts <bare repository> [--bin bin/mega.js] [--env K=V]... [--no-cgit] [--node-flag F]...
 *
 * Prints one JSON line a run: for each side the clone's wall ms, the time from its start to the
 * pack's signature on the wire (`ttfb_ms`), the client's CPU (`git clone` and its `index-pack`),
 * its "Receiving objects" / "Resolving deltas" regions (trace2), the rest of the machine's CPU
 * during it (other processes); for ours also the server's CPU during the clone by thread name,
 * second by second, and in the 3 s after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadAverage } from '../report.js';
import { startLoopbackProxy } from '../smart-http/counting-proxy.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';
import { cpuMs } from './clone-burst.js';
import { adminToken, harnessOptions, runToEnd, shebang, startServer } from './harness-server.js';

const args = process.argv.slice(2);
const source = args[0];
if (!source) throw new Error('usage: after-push-harness.ts <bare repository> [--bin PATH] [--env K=V]...');
const options = harnessOptions(args);
const withCgit = !args.includes('--no-cgit');
/** `--node-flag F`: a flag for the server's node only (`--cpu-prof`, which NODE_OPTIONS refuses). */
const nodeFlags = options.values('--node-flag');

/** utime + stime of each thread of `pid` by thread name, in ms. */
async function threadCpuMs(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const text = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!text) continue;
    const name = tid === String(pid) ? 'main' : text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
    byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
  }
  return byName;
}

/** The machine's busy CPU in ms (all cores), from /proc/stat. */
async function machineBusyMs(): Promise<number> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  const busy = cpu.reduce((sum, value, at) => (at === 3 || at === 4 ? sum : sum + value), 0);
  return busy * 10;
}

function difference(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of after)
    if (ms - (before.get(name) ?? 0) > 0) out[name] = ms - (before.get(name) ?? 0);
  return out;
}

/** A proxy that notes when the pack's signature first passes toward the client. */
async function startPackWatch(targetUrl: string) {
  let firstPackAt = 0;
  const proxy = await startLoopbackProxy(targetUrl, (_client, upstream) => {
    upstream.on('data', (chunk: Buffer) => {
      if (!firstPackAt && chunk.includes('PACK')) firstPackAt = performance.now();
    });
  });
  return { ...proxy, reset: () => (firstPackAt = 0), firstPackAt: () => firstPackAt };
}

interface Regions {
  receiving_ms: number;
  resolving_ms: number;
}

/** The progress regions of a trace2 event file. */
async function progressRegions(file: string): Promise<Regions> {
  const regions: Regions = { receiving_ms: 0, resolving_ms: 0 };
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (!line.includes('"region_leave"') || !line.includes('"progress"')) continue;
    const event = JSON.parse(line) as { label?: string; t_rel?: number };
    const ms = Math.round((event.t_rel ?? 0) * 1000);
    if (event.label === 'Receiving objects') regions.receiving_ms = ms;
    if (event.label === 'Resolving deltas') regions.resolving_ms = ms;
  }
  return regions;
}

async function timedClone(
  url: string,
  target: string,
  watch: { reset(): void; firstPackAt(): number },
  env: Record<string, string>,
  traceFile: string,
) {
  watch.reset();
  const busyBefore = await machineBusyMs();
  const start = performance.now();
  // On the clock V8's --cpu-prof stamps its samples with (µs), to find the clone in a profile.
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const out = await runToEnd(
    spawn('/usr/bin/time', ['-f', 'CPU %U %S', 'git', 'clone', '--progress', '--bare', url, target], {
      env: { ...process.env, ...env, GIT_TRACE2_EVENT: traceFile },
    }),
  );
  const ms = performance.now() - start;
  const busy = (await machineBusyMs()) - busyBefore;
  const cpu = /CPU (\S+) (\S+)/.exec(out);
  const clientCpuMs = Math.round((Number(cpu?.[1]) + Number(cpu?.[2])) * 1000);
  return {
    start_us: startUs,
    ms: Math.round(ms),
    ttfb_ms: Math.round(watch.firstPackAt() - start),
    client_cpu_ms: clientCpuMs,
    ...(await progressRegions(traceFile)),
    machine_busy_ms: busy,
  };
}

const dir = (await makeTempDir('mega-after-push-')).path;
const run = await shebang(options.bin);
const dataDir = join(dir, 'data');
let server: ChildProcess | undefined;
const closers: Array<() => Promise<void>> = [];
try {
  const loadAtStart = await loadAverage();
  const cgitRoot = join(dir, 'cgit');
  const cgitRepo = join(cgitRoot, 'large.git');
  let cgitWatch: Awaited<ReturnType<typeof startPackWatch>> | undefined;
  let cgitPushMs = 0;
  if (withCgit) {
    await git(['init', '-q', '--bare', cgitRepo]);
    const head = (await runToEnd(spawn('git', ['symbolic-ref', 'HEAD'], { cwd: source }))).trim();
    await git(['symbolic-ref', 'HEAD', head], { cwd: cgitRepo });
    const bridge = await startHttpBackendBridge(cgitRoot);
    cgitWatch = await startPackWatch(bridge.url);
    closers.push(bridge.close, cgitWatch.close);
    const pushStart = performance.now();
    await git(['push', '-q', `${cgitWatch.url}/large.git`, '--mirror'], { cwd: source });
    cgitPushMs = performance.now() - pushStart;
  }
  const token = await adminToken(options, run, dataDir);
  const credentials = authEnv(token);
  const started = await startServer({ options, run, dataDir, nodeFlags });
  server = started.child;
  const pid = server.pid ?? 0;
  const oursWatch = await startPackWatch(started.url);
  closers.push(oursWatch.close);
  const url = `${oursWatch.url}/import/large.git`;
  const pushStart = performance.now();
  await git(['push', '-q', url, '--mirror'], { cwd: source, env: credentials });
  const pushMs = performance.now() - pushStart;

  // proc(5) clear_refs: the clone's peak resident set from here.
  await writeFile(`/proc/${pid}/clear_refs`, '5');
  const threadsBefore = await threadCpuMs(pid);
  const perSecond: number[] = [];
  let cloning = true;
  const sampler = (async () => {
    let last = await cpuMs(pid);
    while (cloning) {
      await new Promise((done) => setTimeout(done, 1000));
      const now = await cpuMs(pid);
      perSecond.push(now - last);
      last = now;
    }
  })();
  const ours = await timedClone(url, join(dir, 'ours.git'), oursWatch, credentials, join(dir, 'ours.trace'));
  cloning = false;
  const threadsAfter = await threadCpuMs(pid);
  const peakMb =
    Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  await sampler;
  const serverCpu = difference(threadsAfter, threadsBefore);
  const serverCpuMs = Object.values(serverCpu).reduce((sum, ms) => sum + ms, 0);
  await new Promise((done) => setTimeout(done, 3000));
  const afterMs = Object.values(difference(await threadCpuMs(pid), threadsAfter)).reduce((a, b) => a + b, 0);

  let cgit: Awaited<ReturnType<typeof timedClone>> | undefined;
  if (cgitWatch) {
    await new Promise((done) => setTimeout(done, Math.min(ours.ms, 30_000)));
    await waitForIdle(pid, 3000, 180_000);
    cgit = await timedClone(
      `${cgitWatch.url}/large.git`,
      join(dir, 'cgit.git'),
      cgitWatch,
      {},
      join(dir, 'c.trace'),
    );
  }
  console.log(
    JSON.stringify({
      load: loadAtStart,
      load_end: await loadAverage(),
      bin: options.bin,
      env: options.env,
      push_ms: Math.round(pushMs),
      cgit_push_ms: Math.round(cgitPushMs),
      ours: {
        ...ours,
        server_cpu_ms: serverCpuMs,
        others_cpu_ms: ours.machine_busy_ms - ours.client_cpu_ms - serverCpuMs,
        server_threads: serverCpu,
        server_per_s: perSecond.join(' '),
        server_after_3s_ms: afterMs,
        clone_peak_mb: Math.round(peakMb),
      },
      cgit: cgit && { ...cgit, others_cpu_ms: cgit.machine_busy_ms - cgit.client_cpu_ms },
      ratio: cgit ? +(ours.ms / cgit.ms).toFixed(3) : undefined,
    }),
  );
} finally {
  server?.kill('SIGTERM');
  for (const close of closers) await close().catch(() => undefined);
  await new Promise((done) => setTimeout(done, 500));
  await rm(dir, { recursive: true, force: true });
}
