import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addRepo, startHarness, syncAndWait } from '../../tests/sync/support/sync-harness.js';
import type { BenchScenario } from '../main.js';
import { timeMs, type BenchResult } from '../report.js';
import { runCommand } from '../run-command.js';

/**
 * `npm run bench -- sync [--commits N] [--files N] [--runs N]`
 *
 * A generated repository (history-heavy, like real ones: N commits over a small tree) served over
 * file:// (upload-pack, the same transport for both sides). Per run, a fresh worker does a first
 * sync and a second sync of the unchanged repository (trigger → log row written), and C git does a
 * plain `git clone` of the same URL. Reported: medians and the ratios second/first (target ≤ 0.05)
 * and first/plain clone (target ≤ 1.2).
 */
export const scenario: BenchScenario = {
  description: 'sync worker: first sync, second sync of an unchanged repo, and plain git clone (ratios)',
  async run(args) {
    const commits = numberArg(args, '--commits', 150_000);
    const files = numberArg(args, '--files', 200);
    const runs = numberArg(args, '--runs', 3);
    const dir = await mkdtemp(join(tmpdir(), 'mega-bench-sync-'));
    try {
      const upstream = join(dir, 'upstream.git');
      await generateRepository(upstream, commits, files);
      const url = `file://${upstream}`;
      const first: number[] = [];
      const second: number[] = [];
      const plain: number[] = [];
      for (let run = 0; run < runs; run += 1) {
        // Alternate which side goes first, so cache warmth and neighbours' load do not favour one.
        const plainClone = async () => {
          plain.push((await timeMs(() => git(['clone', '-q', url, join(dir, `plain-${run}`)]))).ms);
        };
        const worker = async () => {
          const [a, b] = await syncTwice(join(dir, `worker-${run}`), url);
          first.push(a);
          second.push(b);
        };
        if (run % 2 === 0) {
          await plainClone();
          await worker();
        } else {
          await worker();
          await plainClone();
        }
        await rm(join(dir, `plain-${run}`), { recursive: true, force: true });
        await rm(join(dir, `worker-${run}`), { recursive: true, force: true });
      }
      const [f, s, p] = [median(first), median(second), median(plain)];
      const results: BenchResult[] = [
        { scenario: 'sync: first sync (ms)', value: f, runs: first.map(Math.round).join(',') },
        { scenario: 'sync: second sync, unchanged (ms)', value: s, runs: second.map(Math.round).join(',') },
        { scenario: 'git clone, same URL (ms)', value: p, runs: plain.map(Math.round).join(',') },
        { scenario: 'second / first (target <= 0.05)', ratio: s / f },
        { scenario: 'first / git clone (target <= 1.2)', ratio: f / p },
      ];
      return results.map((row) => ({ ...row, commits, files }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** GIT_COMMAND_TIMEOUT's production default (seconds): a first sync of a big history takes a while. */
const DEFAULT_GIT_TIMEOUT_SECONDS = 600;

/** Two manual syncs through a real worker (SQLite, in-process bus); returns their wall times. */
async function syncTwice(dataDir: string, url: string): Promise<[number, number]> {
  // The test harness's worker, with git's default timeout instead of the tests' short one.
  const h = await startHarness({ GIT_COMMAND_TIMEOUT: String(DEFAULT_GIT_TIMEOUT_SECONDS) }, { dataDir });
  try {
    const repoId = await addRepo(h, { name: 'bench', url, is_public: true });
    const once = async () => {
      const { ms, value: log } = await timeMs(() => syncAndWait(h, repoId));
      if (log.status !== 'success') throw new Error(`bench sync failed: ${log.error_message ?? 'no log'}`);
      return ms;
    };
    const first = await once();
    // Several unchanged syncs, so one noisy sample on a shared machine does not decide the ratio.
    const seconds = [await once(), await once(), await once()];
    return [first, median(seconds)];
  } finally {
    await h.close();
  }
}

/** `git fast-import` of `commits` commits, each rewriting one of `files` small files on main. */
async function generateRepository(path: string, commits: number, files: number): Promise<void> {
  await git(['init', '-q', '--bare', '-b', 'main', path]);
  const chunks: string[] = [];
  for (let i = 1; i <= commits; i += 1) {
    const content = `file ${i % files} revision ${i}\n${'line of text that makes the blob a little bigger\n'.repeat(8)}${i * 7919}\n`;
    const message = `commit ${i}\n`;
    chunks.push(
      `commit refs/heads/main\nmark :${i}\ncommitter Bench <bench@example.com> ${1_700_000_000 + i} +0000\n` +
        `data ${Buffer.byteLength(message)}\n${message}${i > 1 ? `from :${i - 1}\n` : ''}` +
        `M 100644 inline dir${i % 10}/file${i % files}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  await git(['-C', path, 'fast-import', '--quiet'], chunks.join(''));
  // One pack with the usual delta heuristics (recent objects whole), like a server's repository.
  await git(['-C', path, 'repack', '-a', '-d', '-q']);
}

/** git with system and global configuration off (the bench's command runner). */
async function git(args: readonly string[], input?: string): Promise<void> {
  await runCommand('git', args, input === undefined ? {} : { input });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function numberArg(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
