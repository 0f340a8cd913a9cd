/**
 * Harness (not part of `npm run bench`): the first `git push --mirror` of a repository into a
 * fresh `mega serve` on SQLite, with the CPU of each of the server's threads during the push (the
 * request's thread is the one whose id is the process's; the decode thread is the busiest other
 * one), the push's peak RSS and, with `--idle`, the RSS once the post-push jobs are done and
 * where it lies (`brk_heap_mb`, `anon_maps_mb`, as the scale bench's idle row). Builds compare
 * by `--bin` (another checkout's `bin/mega.js`), alternated by the caller; V8 settings by
 * `--node-args` (added after the shebang's flags, so a later value of the same flag wins).
 *
 *   npx tsx bench/scale/push-harness.ts <bare repository> [--bin path] [--idle] [--cpu-prof dir]
 *     [--node-args '--single-threaded-gc …'] [--trace file] [--hold-ms ms]
 *
 * `--trace file` writes the server's RSS (all, anonymous, file-backed) every 100 ms of the push to
 * `file`, and the server's output (with `--node-args --trace-gc`, its collections) to `file.server`.
 * `--hold-ms ms` keeps the idle server running that long after its row (its pid printed), to look
 * into it (`/proc/<pid>/smaps`, gdb).
 *
 * The repository is mirrored and repacked once into `<tmpdir>/mega-push-harness-source.git` (as the
 * scale bench serves it) and reused by later runs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer } from '../../tests/support/mega-process.js';
import { argValue } from '../report.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';
import { idleRssParts } from './scale-bench.js';

/** How often the threads' CPU is read during the push. */
const SAMPLE_MS = 100;
/** Clock ticks per second of `/proc/…/stat` (USER_HZ on Linux). */
const TICKS_PER_SECOND = 100;

interface ThreadCpu {
  readonly name: string;
  readonly ticks: number;
}

/** CPU ticks (user + system) of each live thread of `pid`, by thread id. */
async function threadTicks(pid: number): Promise<Map<number, ThreadCpu>> {
  const threads = new Map<number, ThreadCpu>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    // Fields after the name: state is the 3rd field, utime the 14th, stime the 15th.
    const fields = stat.slice(close + 2).split(' ');
    threads.set(Number(tid), {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  return threads;
}

/** RSS, its anonymous and file-backed parts (MB), for `--trace`. */
async function rssParts(pid: number): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return `${mb('VmRSS')} ${mb('RssAnon')} ${mb('RssFile')}`;
}

async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

async function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

/** The repository as the scale bench serves it: a mirror in one pack, made once. */
async function preparedSource(given: string): Promise<string> {
  const mirror = join(tmpdir(), 'mega-push-harness-source.git');
  if (existsSync(join(mirror, 'packed-refs'))) return mirror;
  await rm(mirror, { recursive: true, force: true });
  await git(['clone', '-q', '--mirror', '--no-local', given, mirror]);
  await git(['repack', '-q', '-a', '-d'], { cwd: mirror });
  return mirror;
}

const args = process.argv.slice(2);
const given = args[0];
if (!given || given.startsWith('--'))
  throw new Error(
    'usage: push-harness.ts <bare repository> [--bin path] [--idle] [--cpu-prof dir] [--node-args flags]',
  );
const bin = argValue(args, '--bin');
const traceFile = argValue(args, '--trace');
const profileDir = argValue(args, '--cpu-prof');
const nodeArgs = [
  ...(argValue(args, '--node-args')?.split(' ').filter(Boolean) ?? []),
  ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
];
const source = await preparedSource(given);
const dir = await mkdtemp(join(tmpdir(), 'mega-push-harness-'));
const dataDir = join(dir, 'data');
try {
  const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir]);
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  const token = created.stdout.trim().split('\n').pop() ?? '';
  const server = await startMegaServer({
    dataDir,
    ...(bin ? { bin } : {}),
    nodeArgs,
  });
  const pid = server.process.pid ?? 0;
  try {
    const loadBefore = await loadAverage();
    const before = await threadTicks(pid);
    const last = new Map(before);
    let sampling = true;
    const trace: string[] = [];
    const traceStart = performance.now();
    const sampler = (async () => {
      while (sampling) {
        // A thread that ends (the decode thread, 3 s after its pack) keeps its last reading.
        for (const [tid, cpu] of await threadTicks(pid)) last.set(tid, cpu);
        if (traceFile) trace.push(`${Math.round(performance.now() - traceStart)} ${await rssParts(pid)}`);
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      }
    })();
    const started = performance.now();
    await git(['push', '-q', `${server.url}/import/large.git`, '--mirror'], {
      cwd: source,
      env: authEnv(token),
    });
    const pushMs = Math.round(performance.now() - started);
    for (const [tid, cpu] of await threadTicks(pid)) last.set(tid, cpu);
    sampling = false;
    await sampler;
    const peakMb = await statusMb(pid, 'VmHWM');
    const cpuMs = (tid: number) =>
      Math.round(((last.get(tid)!.ticks - (before.get(tid)?.ticks ?? 0)) * 1000) / TICKS_PER_SECOND);
    const others = [...last.keys()].filter((tid) => tid !== pid).map((tid) => ({ tid, ms: cpuMs(tid) }));
    others.sort((a, b) => b.ms - a.ms);
    const busiest = others[0];
    const processMs = others.reduce((sum, thread) => sum + thread.ms, cpuMs(pid));
    const row: Record<string, string | number> = {
      bin: bin ?? 'this checkout',
      node_args: nodeArgs.join(' '),
      load: `${loadBefore} -> ${await loadAverage()}`,
      push_ms: pushMs,
      process_cpu_ms: processMs,
      request_thread_cpu_ms: cpuMs(pid),
      decode_thread_cpu_ms: busiest?.ms ?? 0,
      decode_thread_name: busiest ? last.get(busiest.tid)!.name : '',
      peak_rss_mb: peakMb,
    };
    // The profile is written at exit, which `stop` forces 5 s after asking while jobs still run.
    if (args.includes('--idle') || profileDir) {
      await waitForIdle(pid, 3000, 180_000);
      row.idle_rss_mb = await statusMb(pid, 'VmRSS');
      Object.assign(row, await idleRssParts(pid));
    }
    console.log(JSON.stringify(row));
    const holdMs = Number(argValue(args, '--hold-ms') ?? 0);
    if (holdMs > 0) {
      console.log(`holding the idle server (pid ${pid}) for ${holdMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    }
    if (traceFile) {
      await writeFile(traceFile, `ms rss_mb anon_mb file_mb\n${trace.join('\n')}\n`);
      await writeFile(`${traceFile}.server`, server.output());
    }
  } finally {
    await server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
