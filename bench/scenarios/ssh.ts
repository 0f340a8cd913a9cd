import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spoolPackToTrailer } from '../../src/git/pack-framing.js';
import { MemoryPackSpool } from '../../src/git/pack-spool.js';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer } from '../../tests/support/mega-process.js';
import type { BenchScenario } from '../main.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { prepareMirror } from '../smart-http/bench-repository.js';

const run = promisify(execFile);

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * `npm run bench -- ssh [--repo DIR] [--commits N] [--files N] [--runs N] [--json]`
 *
 * The same repository cloned from one `mega serve` over smart HTTP and over its SSH server (the
 * real OpenSSH client, protocol v2 both ways), alternating, `--runs` times each (default 5). Both
 * transports run the same upload-pack, so the ratio (ssh / http, target ≤ 1.2) measures what SSH
 * adds: the handshake and ssh2's encryption and flow control. The first clone of each transport
 * is a warm-up (it records the walk and fills the pack cache) and is not counted.
 *
 * Then the repository pushed (`--mirror`, to a new path each time) over both, alternating, and
 * the pass that finds where an SSH push's pack ends before SQLite ingests it (`spoolPackToTrailer`,
 * in this process, over the mirror's whole pack): its share of the SSH push is what SQLite adds
 * for a client that keeps its side open (docs/ssh.md).
 */
export const scenario: BenchScenario = {
  description: 'git clone over SSH vs the same clone over smart HTTP from one mega serve',
  async run(args) {
    const dir = await mkdtemp(join(tmpdir(), 'mega-bench-ssh-'));
    try {
      return await measure(args, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  summarize: (results) => {
    const ratio = (scenario: string) => results.find((result) => result.scenario === scenario)?.ratio;
    const clone = ratio('clone-ssh');
    const push = ratio('push-ssh');
    const framing = ratio('pack-framing');
    if (clone === undefined || push === undefined || framing === undefined) return '';
    return [
      `ssh / http clone time: ${clone.toFixed(2)} (target ≤ 1.20)`,
      `ssh / http push time: ${push.toFixed(2)}`,
      `SQLite's framing pass of an SSH push: ${(framing * 100).toFixed(0)}% of the SSH push time`,
    ].join('\n');
  },
};

async function measure(args: readonly string[], dir: string): Promise<BenchResult[]> {
  const mirror = join(dir, 'source.git');
  const repo = argValue(args, '--repo');
  const description = await prepareMirror(
    {
      ...(repo ? { repo } : {}),
      commits: Number(argValue(args, '--commits') ?? 1000),
      files: Number(argValue(args, '--files') ?? 1000),
    },
    dir,
    mirror,
  );
  const runs = Number(argValue(args, '--runs') ?? 5);
  const dataDir = join(dir, 'data');
  const created = await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir]);
  if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
  const token = created.stdout.trim().split('\n').pop() ?? '';
  const key = join(dir, 'key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const added = await runMega(['user', 'key', 'add', 'bench', `${key}.pub`, '--data', dataDir]);
  if (added.code !== 0) throw new Error(`mega user key add failed: ${added.stderr}`);
  const server = await startMegaServer({ dataDir, args: ['--no-worker', '--ssh-port', '0'] });
  try {
    const port = /ssh listening on ssh:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1];
    if (!port) throw new Error(`no ssh port in:\n${server.output()}`);
    await git(['-C', mirror, 'push', '-q', '--mirror', `${server.url}/import/bench`], {
      env: authEnv(token),
    });
    const sshCommand = [
      'ssh -F /dev/null -o StrictHostKeyChecking=no',
      `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      `-o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -i ${key} -p ${port}`,
    ].join(' ');
    const transports = {
      http: { url: `${server.url}/import/bench`, env: authEnv(token) },
      ssh: { url: `ssh://git@127.0.0.1:${port}/import/bench.git`, env: { GIT_SSH_COMMAND: sshCommand } },
    };
    const times: Record<'http' | 'ssh', number[]> = { http: [], ssh: [] };
    let n = 0;
    for (let round = 0; round <= runs; round++) {
      for (const name of ['http', 'ssh'] as const) {
        const target = join(dir, `clone-${++n}`);
        const { ms } = await timeMs(() =>
          git(['-c', 'protocol.version=2', 'clone', '-q', '--mirror', transports[name].url, target], {
            env: transports[name].env,
          }),
        );
        if (round > 0) times[name].push(ms);
        await rm(target, { recursive: true, force: true });
      }
    }
    const pushes = await measurePushes(mirror, transports, runs);
    const framing = await measureFraming(mirror, runs);
    const http = median(times.http);
    const ssh = median(times.ssh);
    return [
      { scenario: 'clone-http', repository: description, runs, ms: Math.round(http) },
      { scenario: 'clone-ssh', repository: description, runs, ms: Math.round(ssh), ratio: ssh / http },
      { scenario: 'push-http', repository: description, runs, ms: Math.round(pushes.http) },
      {
        scenario: 'push-ssh',
        repository: description,
        runs,
        ms: Math.round(pushes.ssh),
        ratio: pushes.ssh / pushes.http,
      },
      {
        scenario: 'pack-framing',
        repository: description,
        runs,
        ms: Math.round(framing),
        ratio: framing / pushes.ssh,
      },
    ];
  } finally {
    await server.stop();
  }
}

type Transports = Record<'http' | 'ssh', { url: string; env: Record<string, string> }>;

/** Median push times, each transport to fresh paths (the first of each not counted). */
async function measurePushes(mirror: string, transports: Transports, runs: number) {
  const times: Record<'http' | 'ssh', number[]> = { http: [], ssh: [] };
  for (let round = 0; round <= runs; round++) {
    for (const name of ['http', 'ssh'] as const) {
      const url = transports[name].url.replace(/\/import\/bench(\.git)?$/, `/import/push-${name}-${round}$1`);
      const { ms } = await timeMs(() =>
        git(['-C', mirror, 'push', '-q', '--mirror', url], { env: transports[name].env }),
      );
      if (round > 0) times[name].push(ms);
    }
  }
  return { http: median(times.http), ssh: median(times.ssh) };
}

/** Median time of the framing pass alone over the mirror's whole pack, read from memory. */
async function measureFraming(mirror: string, runs: number): Promise<number> {
  const pack = (await git(['-C', mirror, 'pack-objects', '--all', '--stdout', '-q'], { input: '' })).stdout;
  const times: number[] = [];
  for (let round = 0; round <= runs; round++) {
    const { ms } = await timeMs(() => spoolPackToTrailer(pieces(pack), new MemoryPackSpool()));
    if (round > 0) times.push(ms);
  }
  return median(times);
}

/** The pack as an SSH channel delivers it: pieces of 32 KiB. */
async function* pieces(pack: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < pack.length; offset += 32 * 1024)
    yield pack.subarray(offset, offset + 32 * 1024);
}
