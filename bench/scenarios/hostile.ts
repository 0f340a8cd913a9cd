import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import { deflateBombPack, pushBody } from '../../tests/support/hostile-packs.js';
import { streamedRequest } from '../../tests/support/streamed-request.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import {
  DEFAULT_FLOOD_BYTES,
  hostileInputs,
  type HostileContext,
  type HostileInput,
  type Verdict,
} from '../hostile/hostile-inputs.js';
import { fsckPushes, type FsckPush } from '../hostile/fsck-inputs.js';
import type { BenchScenario } from '../main.js';
import type { BenchResult } from '../report.js';

/**
 * `npm run bench -- hostile [--bomb-bytes N] [--flood-bytes N] [--shared] [--no-fsck] [--json]`
 *
 * Starts a real `mega serve`, pushes a deflate bomb (a blob of `--bomb-bytes` zeros, default
 * 1 GiB, about 1 MiB on the wire) and sends every input of `bench/hostile/hostile-inputs.ts` one
 * after the other: reads of the bomb through the REST API (alone and three at once), floods of
 * command sections (1 GiB by default, generated while sent), a gzip bomb, and broken packs.
 * For each: the server's peak RSS while it ran (the kernel's high-water mark, reset before each
 * input through /proc/PID/clear_refs, and 20 ms samples), its idle RSS before, and whether the
 * input was refused or served. Each input gets a freshly started server on the same data (its
 * idle RSS is then a fresh process's), unless `--shared` sends them all to one process.
 *
 * Then the pushes of `bench/hostile/fsck-inputs.ts`: each object of the fsck catalogue (what git
 * refuses, and the controls it accepts) in a pack with what it needs, all to one more fresh server
 * (they are small; a restart each would dominate the run). Their rows give the verdict (`refused
 * <git message id>` or `accepted`), what git does with the same pack, and that server's peak while
 * the push ran. `--no-fsck` leaves them out. Target (SPEC §10): peak under 400 MB whatever the input.
 */
const TARGET_MB = 400;
const SAMPLE_MS = 20;
/**
 * How long an accepted push stays measured after its answer: the server records the pushed
 * repository's clone walks in the background half a second after a push (src/repo/clone-walk.ts),
 * and what that costs belongs to the push's row, not to the next input's.
 */
const SETTLE_MS = 1500;

function argNumber(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

/** Resets the kernel's peak RSS of `pid` (clear_refs `5`, Linux 4.0+); false where not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    // Not permitted (another user, a hardened kernel): the 20 ms samples stand alone.
    return false;
  }
}

/**
 * Runs `step` while sampling the server's RSS, and goes on sampling for `settleMs` after a verdict
 * `settles` names (the work a push leaves running); returns the verdict and the peak in MB.
 */
async function measured(
  server: MegaServer,
  step: () => Promise<Verdict | string>,
  settle?: { settleMs: number; settles: (verdict: string) => boolean },
): Promise<{ verdict: string; peakMb: number; idleMb: number; seconds: number }> {
  const pid = server.process.pid as number;
  const idleMb = statusMb(pid, 'VmRSS');
  const exact = resetPeak(pid);
  let peakMb = idleMb;
  const timer = setInterval(() => {
    peakMb = Math.max(peakMb, statusMb(pid, 'VmRSS'));
  }, SAMPLE_MS);
  const started = Date.now();
  let verdict: string;
  let answered = started;
  try {
    verdict = await step();
    answered = Date.now();
    if (settle?.settles(verdict)) await new Promise((resolve) => setTimeout(resolve, settle.settleMs));
  } catch (error) {
    verdict = `error: ${error instanceof Error ? error.message : String(error)}`;
    answered = Date.now();
  } finally {
    clearInterval(timer);
  }
  if (exact) peakMb = Math.max(peakMb, statusMb(pid, 'VmHWM'));
  return { verdict, peakMb, idleMb, seconds: (answered - started) / 1000 };
}

function row(name: string, result: Awaited<ReturnType<typeof measured>>): BenchResult {
  return {
    scenario: name,
    verdict: result.verdict,
    peak_rss_mb: Math.round(result.peakMb),
    idle_rss_mb: Math.round(result.idleMb),
    target_mb: TARGET_MB,
    within_target: result.peakMb < TARGET_MB ? 'yes' : 'NO',
    seconds: Number(result.seconds.toFixed(1)),
  };
}

/** Runs `inputs` against a fresh server; the first row is the push of the bomb itself. */
export async function runHostileBench(
  inputs: readonly HostileInput[],
  options: { bombBytes: number; floodBytes: number; shared?: boolean; fsck?: readonly FsckPush[] },
): Promise<BenchResult[]> {
  const temp = await makeTempDir('mega-bench-hostile-');
  const dataDir = join(temp.path, 'data');
  const results: BenchResult[] = [];
  let server: MegaServer | undefined;
  try {
    const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir]);
    if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
    const token = created.stdout.trim().split('\n').pop() ?? '';
    const bomb = await deflateBombPack(options.bombBytes);
    server = await startMegaServer({ dataDir });
    let context: HostileContext = {
      url: server.url,
      token,
      repo: '/import/hostile',
      bomb,
      floodBytes: options.floodBytes,
    };
    const pushed = server;
    results.push(
      row(
        `push: deflate bomb (${options.bombBytes} zeros in a ${bomb.pack.length}-byte pack)`,
        await measured(pushed, async () => {
          const reply = await streamedRequest(`${context.url}${context.repo}/git-receive-pack`, {
            headers: {
              'Content-Type': 'application/x-git-receive-pack-request',
              Authorization: `Bearer ${token}`,
            },
            body: [pushBody('refs/heads/main', bomb.commit, bomb.pack)],
          });
          const text = reply.body.toString('latin1');
          if (!text.includes('unpack ok')) throw new Error(`the bomb was not stored: ${text.slice(0, 200)}`);
          return 'served';
        }),
      ),
    );
    for (const input of inputs) {
      await input.prepare?.(context);
      // A fresh process per input (same data): a heap grown by one input, or by its set-up, is not
      // charged to what is measured.
      if (!options.shared) {
        await server.stop();
        server = await startMegaServer({ dataDir });
        context = { ...context, url: server.url };
      }
      const live = server;
      results.push(row(input.name, await measured(live, () => input.send(context))));
    }
    if (options.fsck && options.fsck.length > 0 && !options.shared) {
      await server.stop();
      server = await startMegaServer({ dataDir });
      context = { ...context, url: server.url };
    }
    for (const push of options.fsck ?? []) {
      const live = server;
      const result = await measured(live, () => push.send(context), {
        settleMs: SETTLE_MS,
        settles: (verdict) => verdict === 'accepted',
      });
      const agrees = result.verdict.startsWith(push.git === 'accepts' ? 'accepted' : 'refused');
      results.push({ ...row(push.name, result), git: push.git, same_as_git: agrees ? 'yes' : 'NO' });
    }
  } finally {
    await server?.stop();
    await temp.remove();
  }
  return results;
}

export const scenario: BenchScenario = {
  description: 'server peak RSS under hostile inputs (deflate bomb reads, request floods, bad packs)',
  run: (args) =>
    runHostileBench(hostileInputs(), {
      bombBytes: argNumber(args, '--bomb-bytes', 1024 * 1024 * 1024),
      floodBytes: argNumber(args, '--flood-bytes', DEFAULT_FLOOD_BYTES),
      shared: args.includes('--shared'),
      fsck: args.includes('--no-fsck') ? [] : fsckPushes(),
    }),
  summarize: (results) => {
    const peaks = results.map((result) => Number(result.peak_rss_mb ?? 0));
    return `worst peak ${peaks.reduce((worst, peak) => Math.max(worst, peak), 0)} MB vs target ${TARGET_MB} MB`;
  },
};
