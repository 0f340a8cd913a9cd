import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import {
  createScratchDatabase,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import type { BenchScenario } from '../main.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { prepareMirror } from '../smart-http/bench-repository.js';
import { startHttpBackendBridge } from '../smart-http/http-backend-bridge.js';
import { waitForIdle } from '../smart-http/smart-http-bench.js';

/**
 * `npm run bench -- concurrency [--repo DIR] [--commits N] [--files N] [--clones N] [--servers N]
 * [--database postgres|mysql]`
 *
 * Many full clones at once (issue 20: 30 clones of an express-sized repository over two
 * servers): `--clones` (default 30) `git clone --mirror` started together, spread round-robin over
 * `--servers` (default 2) `mega serve` processes on one database (PostgreSQL by default, each
 * with its own data directory, as a multi-server installation runs), against the same number
 * of clones from C git's `git http-backend` on the same repository. Both sides are warmed first
 * with one clone per server (pack caches and recorded walks for us, the page cache for C git), as
 * a busy server is. Reported: clones per second each way (ratio = C git's throughput / ours, so
 * lower is better as everywhere) and each server's peak RSS during the burst.
 */
export const scenario: BenchScenario = {
  description: 'N concurrent full clones over several mega serve on one database vs git http-backend',
  async run(args) {
    const dir = await mkdtemp(join(tmpdir(), 'mega-bench-concurrency-'));
    let scratch: ScratchDatabase | undefined;
    const servers: MegaServer[] = [];
    try {
      scratch = await createScratchDatabase((argValue(args, '--database') ?? 'postgres') as DialectName, {
        migrate: false,
      });
      return await measure(args, dir, scratch, servers);
    } finally {
      for (const server of servers) await server.stop();
      await scratch?.drop();
      await rm(dir, { recursive: true, force: true });
    }
  },
  summarize: (results) => {
    const burst = results.find((result) => result.scenario === 'concurrent-clones');
    if (!burst) return '';
    return `throughput ratio ${Number(burst.ratio).toFixed(2)} (≤ 1.00 wanted), highest server peak ${String(burst.highest_peak_rss_mb)} MB (< 400 wanted)`;
  },
};

async function measure(
  args: readonly string[],
  dir: string,
  scratch: ScratchDatabase,
  servers: MegaServer[],
): Promise<BenchResult[]> {
  const cgitRoot = join(dir, 'cgit');
  const mirror = join(cgitRoot, 'bench.git');
  const repo = argValue(args, '--repo');
  const description = await prepareMirror(
    {
      ...(repo ? { repo } : {}),
      commits: Number(argValue(args, '--commits') ?? 6000),
      files: Number(argValue(args, '--files') ?? 1000),
    },
    dir,
    mirror,
  );
  const clones = Number(argValue(args, '--clones') ?? 30);
  const serverCount = Number(argValue(args, '--servers') ?? 2);
  // One installation: every process gets the same deployment secret, from a file (never argv).
  const keyFile = join(dir, 'secret.key');
  await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const env = { MEGA_DATABASE_URL: scratch.url, MEGA_SECRET_KEY_FILE: keyFile };
  const created = await runMega(['token', 'create', 'bench', '--admin', '--data', join(dir, 'data-0')], {
    env,
  });
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  const token = created.stdout.trim().split('\n').pop() ?? '';
  for (let i = 0; i < serverCount; i++) {
    servers.push(
      await startMegaServer({
        dataDir: join(dir, `data-${i}`),
        env,
        args: ['--no-worker'],
        startTimeoutMs: 60_000,
      }),
    );
  }
  const first = servers[0] as MegaServer;
  await git(['-C', mirror, 'push', '-q', '--mirror', `${first.url}/import/bench`], { env: authEnv(token) });
  for (const server of servers) await waitForIdle(server.process.pid ?? 0);
  const bridge = await startHttpBackendBridge(cgitRoot);
  try {
    const ourUrls = servers.map((server) => `${server.url}/import/bench`);
    const cloneAll = async (urls: readonly string[], label: string, count: number, authed: boolean) => {
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const url = urls[i % urls.length] as string;
        runs.push(
          git(
            ['clone', '-q', '--mirror', url, join(dir, `${label}-${i}`)],
            authed ? { env: authEnv(token) } : {},
          ),
        );
      }
      const { ms } = await timeMs(() => Promise.all(runs));
      for (let i = 0; i < count; i++) await rm(join(dir, `${label}-${i}`), { recursive: true, force: true });
      return ms;
    };
    await cloneAll(ourUrls, 'warm-ours', servers.length, true);
    await cloneAll([`${bridge.url}/bench.git`], 'warm-cgit', 1, false);
    for (const server of servers) await waitForIdle(server.process.pid ?? 0);
    const cgitMs = await cloneAll([`${bridge.url}/bench.git`], 'cgit', clones, false);
    for (const server of servers) await writeFile(`/proc/${server.process.pid}/clear_refs`, '5');
    const oursMs = await cloneAll(ourUrls, 'ours', clones, true);
    const peaks = await Promise.all(servers.map((server) => peakRssMb(server)));
    const oursRate = clones / (oursMs / 1000);
    const cgitRate = clones / (cgitMs / 1000);
    return [
      {
        scenario: 'concurrent-clones',
        repository: description,
        clones,
        servers: servers.length,
        database: scratch.dialect,
        ours_ms: Math.round(oursMs),
        cgit_ms: Math.round(cgitMs),
        ours_clones_per_s: Number(oursRate.toFixed(3)),
        cgit_clones_per_s: Number(cgitRate.toFixed(3)),
        ratio: cgitRate / oursRate,
        peak_rss_mb: peaks.map((peak) => Math.round(peak)).join(' / '),
        highest_peak_rss_mb: Math.round(peaks.reduce((most, peak) => Math.max(most, peak), 0)),
      },
    ];
  } finally {
    await bridge.close();
  }
}

async function peakRssMb(server: MegaServer): Promise<number> {
  const status = await readFile(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
