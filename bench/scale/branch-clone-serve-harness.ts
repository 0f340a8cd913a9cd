/**
 * Harness (not part of `npm run bench`): first clones of want sets answered from a recorded walk
 * (the scale bench's `clone-other-branch`, `clone-tree-1`…) end to end, `mega serve` against C
 * git's `http-backend`, alternated. The clone cache is off
 * (`MEGA_CLONE_PACK_CACHE_BYTES=0`), so every clone of ours replays. A data directory without
 * a database gets `git push --mirror` of the repository first (through the server, the walks
 * recorded as after any push), and is kept for later runs. Prints per clone its wall ms and, for
 * ours, the server's CPU ms during it.
 *
 *   npx tsx bench/scale/branch-clone-serve-harness.ts <data dir> <bare repository for C git> [rounds] [clone args…]
 *
 * Environment: `HARNESS_TRACE_DIR` keeps each clone's `GIT_TRACE2_PERF` there;
 * `HARNESS_SERVER_PROFILE_DIR` runs the server under `--cpu-prof` into that directory;
 * `HARNESS_SERVER_NODE_FLAGS` adds node flags to the server (e.g. `--trace-gc`);
 * `HARNESS_SERVER_BIN` serves with another build's `bin/mega.js` (a built copy of an older tree).
 * `HARNESS_IDLE_MAX_MS` caps each wait for the server to go idle (a few seconds keep runs short).
 * `HARNESS_FULL_CLONE_FIRST=1` turns the clone cache on and, before each measured clone of ours,
 * empties it and makes a full `git clone --bare` (as the scale bench's steps before its partial
 * clones do), so a partial clone finds the full clone's pack cached. With
 * `HARNESS_FULL_CLONE_ONCE=1` only before the first round: later clones find the same pack cached
 * (a server answering the same branch clone again, as a CI fleet does).
 * `HARNESS_CACHE_REMOVED=1` turns the clone cache on and empties it before each measured clone of
 * ours (the scale bench's `clone-recorded`: the walk replayed while its pack is teed into the
 * cache). `clone args` default to `--single-branch --branch release-1`; `full` alone is a full
 * `git clone --bare`. Build first (`npm run build`).
 * Ends with the server's peak resident memory (`VmHWM`).
 * C git serves a `repack -adb` copy of the repository with filters allowed, as in the bench.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer } from '../../tests/support/mega-process.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadAverage } from '../report.js';
import { startLoopbackProxy } from '../smart-http/counting-proxy.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';

const [dataDir, cgitRepo, roundsArg = '3', ...given] = process.argv.slice(2);
if (!dataDir || !cgitRepo) {
  throw new Error('usage: branch-clone-serve-harness.ts <data dir> <bare repository> [rounds] [clone args…]');
}
const traceDir = process.env.HARNESS_TRACE_DIR;
/** The longest wait for the server to go idle (`HARNESS_IDLE_MAX_MS`: its timers may never let it). */
const idleMaxMs = (fallback: number) => Number(process.env.HARNESS_IDLE_MAX_MS ?? fallback);
const cloneArgs =
  given.length === 0 ? ['--single-branch', '--branch', 'release-1'] : given[0] === 'full' ? [] : given;

async function cpuMs(pid: number): Promise<number> {
  return (await cpuSplitMs(pid)).reduce((a, b) => a + b);
}

/** The CPU ms of `pid` in user mode and in the kernel. */
async function cpuSplitMs(pid: number): Promise<[number, number]> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

/** The server's read system calls and bytes so far (`/proc/PID/io`: its page reads from SQLite). */
async function reads(pid: number): Promise<{ calls: number; bytes: number }> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
  return { calls: field('syscr'), bytes: field('rchar') };
}

/** The CPU ms of this process's reaped children: a finished `git clone` and everything it waited for. */
async function childrenCpuMs(): Promise<number> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * A loopback proxy noting, per connection, when its first byte from the client, its first byte
 * from the server, the pack's signature and its last byte passed (ms since `mark()`): when the
 * response began, when the pack's bytes began (the client's `index-pack` starts on them) and ended.
 */
async function timingProxy(targetUrl: string) {
  let origin = performance.now();
  let timings: Array<{ asked: number; first: number; pack: number; last: number; bytes: number }> = [];
  const proxy = await startLoopbackProxy(targetUrl, (client, upstream) => {
    let timing: { asked: number; first: number; pack: number; last: number; bytes: number } | undefined;
    client.on('data', () => {
      if (!timing || timing.first >= 0) {
        timing = { asked: performance.now() - origin, first: -1, pack: -1, last: -1, bytes: 0 };
        timings.push(timing);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!timing) return;
      const now = performance.now() - origin;
      if (timing.first < 0) timing.first = now;
      // The pack's signature (progress lines never hold it; a chunk boundary inside it is rare).
      if (timing.pack < 0 && chunk.includes('PACK')) timing.pack = now;
      timing.last = now;
      timing.bytes += chunk.length;
    });
  });
  return {
    url: proxy.url,
    mark() {
      origin = performance.now();
      timings = [];
    },
    /** The biggest response: the pack's request, its first and last byte. */
    pack() {
      const pack = timings.reduce(
        (a, b) => (b.bytes > a.bytes ? b : a),
        timings[0] ?? { asked: 0, first: 0, pack: 0, last: 0, bytes: 0 },
      );
      return (
        `asked ${Math.round(pack.asked)}, first byte ${Math.round(pack.first)}, ` +
        `pack ${Math.round(pack.pack)}, last ${Math.round(pack.last)}`
      );
    },
    close: proxy.close,
  };
}

const fresh = !existsSync(join(dataDir, 'mega.db'));
const work = await makeTempDir('mega-branch-clone-');
const token = (await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir])).stdout
  .trim()
  .split('\n')
  .pop();
const profileDir = process.env.HARNESS_SERVER_PROFILE_DIR;
const fullCloneFirst = process.env.HARNESS_FULL_CLONE_FIRST === '1';
const cacheRemoved = process.env.HARNESS_CACHE_REMOVED === '1';
const fullCloneOnce = process.env.HARNESS_FULL_CLONE_ONCE === '1';
const server = await startMegaServer({
  dataDir,
  ...(process.env.HARNESS_SERVER_BIN ? { bin: process.env.HARNESS_SERVER_BIN } : {}),
  env: fullCloneFirst || cacheRemoved ? {} : { MEGA_CLONE_PACK_CACHE_BYTES: '0' },
  nodeArgs: [
    ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ...(process.env.HARNESS_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ],
});
const bridge = await startHttpBackendBridge(resolve(cgitRepo, '..'));
const pid = server.process.pid ?? 0;
const oursProxy = await timingProxy(server.url);
const theirsProxy = await timingProxy(bridge.url);
try {
  if (fresh) {
    const start = performance.now();
    await git(['push', '-q', `${server.url}/import/large.git`, '--mirror'], {
      cwd: cgitRepo,
      env: authEnv(token ?? ''),
    });
    console.log(`pushed in ${Math.round(performance.now() - start)} ms`);
  }
  await waitForIdle(pid, 3000, idleMaxMs(180_000));
  const clone = async (
    url: string,
    env: Record<string, string>,
    proxy: { mark(): void },
    args = cloneArgs,
  ) => {
    const target = join(work.path, 'clone.git');
    await rm(target, { recursive: true, force: true });
    proxy.mark();
    const start = performance.now();
    const trace: Record<string, string> = traceDir
      ? { GIT_TRACE2_PERF: join(traceDir, `${Date.now()}.perf`) }
      : {};
    await git(['clone', '-q', '--bare', ...args, url, target], { env: { ...env, ...trace } });
    const ms = performance.now() - start;
    await rm(target, { recursive: true, force: true });
    return Math.round(ms);
  };
  for (let round = 0; round < Number(roundsArg); round++) {
    const load = await loadAverage();
    const cgitChildrenBefore = await childrenCpuMs();
    const cgitMs = await clone(`${theirsProxy.url}/${cgitRepo.split('/').pop()}`, {}, theirsProxy);
    // C git's client and its server alike: the bridge's `http-backend` is a child of this process.
    const cgitCpu = (await childrenCpuMs()) - cgitChildrenBefore;
    if (fullCloneFirst && !(fullCloneOnce && round > 0)) {
      await rm(join(dataDir, 'cache', 'packs'), { recursive: true, force: true });
      await clone(`${oursProxy.url}/import/large.git`, authEnv(token ?? ''), oursProxy, []);
      await waitForIdle(pid, 1000, idleMaxMs(60_000));
    }
    if (cacheRemoved) await rm(join(dataDir, 'cache', 'packs'), { recursive: true, force: true });
    const before = await cpuMs(pid);
    const [, systemBefore] = await cpuSplitMs(pid);
    const clientBefore = await childrenCpuMs();
    const readsBefore = await reads(pid);
    const outputBefore = server.output().length;
    const oursMs = await clone(`${oursProxy.url}/import/large.git`, authEnv(token ?? ''), oursProxy);
    const serverCpu = (await cpuMs(pid)) - before;
    const serverSystem = (await cpuSplitMs(pid))[1] - systemBefore;
    const clientCpu = (await childrenCpuMs()) - clientBefore;
    const readsAfter = await reads(pid);
    const serverReads =
      `${readsAfter.calls - readsBefore.calls} reads, ` +
      `${Math.round((readsAfter.bytes - readsBefore.bytes) / 2 ** 20)} MiB`;
    console.log(
      `round ${round}: ours ${oursMs} ms (server CPU ${serverCpu} ms, ${serverSystem} in the kernel, ${serverReads}; client CPU ${clientCpu} ms), C git ${cgitMs} ms (client and server CPU ${cgitCpu} ms), ` +
        `ratio ${(oursMs / cgitMs).toFixed(2)}; load ${load}\n  ours: ${oursProxy.pack()}\n  C git: ${theirsProxy.pack()}`,
    );
    const gcLines = server
      .output()
      .slice(outputBefore)
      .split('\n')
      .filter((line) => /Scavenge|Mark-Compact|Mark-sweep/.test(line));
    if (gcLines.length > 0) console.log(gcLines.map((line) => `  ${line.slice(0, 160)}`).join('\n'));
    await waitForIdle(pid, 1000, idleMaxMs(60_000));
  }
  // The server's peak resident memory over the run (its full clones included).
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  console.log(`server peak ${/^VmHWM:\s+(.*)$/m.exec(status)?.[1] ?? '?'}`);
} finally {
  await oursProxy.close();
  await theirsProxy.close();
  await bridge.close();
  await server.stop();
  await work.remove();
}
