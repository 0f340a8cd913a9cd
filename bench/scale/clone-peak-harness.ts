/**
 * Harness (not part of `npm run bench`): the server's memory during the clone right after a first
 * push, the scale bench's `clone-after-push` step without the rest of its ~10 minutes. A fresh
 * `mega serve` (SQLite) gets `git push --mirror` of `source`, then a `git clone --bare` starts as
 * soon as the push returns, as in the bench. The server's RSS and thread count are sampled every
 * 50 ms from the push's end to the clone's; VmHWM is reset (proc(5) clear_refs) at the push's end,
 * as the bench does.
 *
 *   npx tsx bench/scale/clone-peak-harness.ts <bare repository> [--bin bin/mega.js] [--env K=V]... [--trace FILE]
 *
 * `--bin`: another build's `bin/mega.js` (a copy of the tree at an older commit, built), to
 * bisect. Prints one JSON line: the push's and clone's wall ms, the server's CPU ms during the
 * clone, the RSS at the push's end, the clone's peak (VmHWM) and a timeline (every 500 ms: seconds
 * since the clone started, RSS MB, threads).
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadAverage } from '../report.js';
import { cpuMs } from './clone-burst.js';
import { adminToken, harnessOptions, shebang, startServer } from './harness-server.js';

const args = process.argv.slice(2);
const source = args[0];
if (!source) throw new Error('usage: clone-peak-harness.ts <bare repository> [--bin PATH] [--env K=V]...');
const options = harnessOptions(args);

/**
 * `--trace FILE`: the server's stderr goes there, after a first line with the clone's start and end
 * (epoch ms), for a build that logs its memory with timestamps (docs/scale.md, "The clone right
 * after the push: the push's garbage beside it").
 */
const traceFile = options.values('--trace')[0];
const traced: string[] = [];

interface Sample {
  readonly ms: number;
  readonly rssMb: number;
  readonly threads: number;
}

async function status(pid: number): Promise<{ rssMb: number; hwmMb: number; threads: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMb: kib('VmRSS') / 1024, hwmMb: kib('VmHWM') / 1024, threads: kib('Threads') };
}

const dir = (await makeTempDir('mega-clone-peak-')).path;
const run = await shebang(options.bin);
const dataDir = join(dir, 'data');
let server: ChildProcess | undefined;
try {
  const token = await adminToken(options, run, dataDir);
  const started = await startServer({
    options,
    run,
    dataDir,
    onStderr: traceFile ? (chunk) => traced.push(chunk) : undefined,
  });
  server = started.child;
  const pid = server.pid ?? 0;
  const url = `${started.url}/import/large.git`;
  const pushStart = performance.now();
  await git(['push', '-q', url, '--mirror'], { cwd: source, env: authEnv(token) });
  const pushMs = performance.now() - pushStart;
  const cloneStartEpoch = Date.now();
  await writeFile(`/proc/${pid}/clear_refs`, '5');
  const atPushEnd = await status(pid);
  const cpuBefore = await cpuMs(pid);
  const samples: Sample[] = [];
  const cloneStart = performance.now();
  let cloning = true;
  const sampler = (async () => {
    while (cloning) {
      const now = await status(pid);
      samples.push({ ms: performance.now() - cloneStart, rssMb: now.rssMb, threads: now.threads });
      await new Promise((done) => setTimeout(done, 50));
    }
  })();
  await git(['clone', '-q', '--bare', url, join(dir, 'clone.git')], { env: authEnv(token) });
  const cloneMs = performance.now() - cloneStart;
  cloning = false;
  await sampler;
  const afterClone = await status(pid);
  const cloneCpuMs = (await cpuMs(pid)) - cpuBefore;
  const peakSample = samples.reduce(
    (top, sample) => (top === undefined || sample.rssMb > top.rssMb ? sample : top),
    samples[0],
  );
  if (traceFile)
    await writeFile(traceFile, `clone-start ${cloneStartEpoch} clone-end ${Date.now()}\n${traced.join('')}`);
  console.log(
    JSON.stringify({
      load: await loadAverage(),
      env: options.env,
      bin: options.bin,
      push_ms: Math.round(pushMs),
      clone_ms: Math.round(cloneMs),
      clone_server_cpu_ms: cloneCpuMs,
      rss_at_push_end_mb: Math.round(atPushEnd.rssMb),
      threads_at_push_end: atPushEnd.threads,
      clone_peak_hwm_mb: Math.round(afterClone.hwmMb),
      peak_sample: peakSample && {
        s: +(peakSample.ms / 1000).toFixed(2),
        mb: Math.round(peakSample.rssMb),
        threads: peakSample.threads,
      },
      timeline: samples
        .filter((_, at) => at % 10 === 0)
        .map((sample) => `${(sample.ms / 1000).toFixed(1)}:${Math.round(sample.rssMb)}/${sample.threads}`)
        .join(' '),
    }),
  );
} finally {
  server?.kill('SIGTERM');
  await new Promise((done) => setTimeout(done, 500));
  await rm(dir, { recursive: true, force: true });
}
