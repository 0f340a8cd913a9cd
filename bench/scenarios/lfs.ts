import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import { git } from '../../tests/support/git-cli.js';
import { sha256File, writeRandomFile } from '../../tests/support/git-lfs-client.js';
import type { BenchScenario } from '../main.js';
import { timeMs, type BenchResult } from '../report.js';

const MiB = 1024 * 1024;
const REPO = '/import/bench-lfs';
const RSS_SAMPLE_MS = 25;

/**
 * `npm run bench -- lfs [--size-mb 500] [--semi-space-mb N]`: one object through a real `mega serve` — batch, PUT,
 * GET — against a plain streamed copy of the same file on the same disk (read, write, fsync),
 * plus the server's peak RSS while transferring. Ratios are server time / copy time.
 */
export const scenario: BenchScenario = {
  description: 'LFS upload/download throughput of a big object vs a plain file copy, server peak RSS',
  async run(args) {
    const sizeMb = numberArg(args, '--size-mb', 500);
    const dir = await mkdtemp(join(tmpdir(), 'mega-bench-lfs-'));
    let server: MegaServer | undefined;
    try {
      const source = join(dir, 'object.bin');
      const oid = await writeRandomFile(source, sizeMb * MiB);
      const dataDir = join(dir, 'data');
      const token =
        (await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir])).stdout
          .trim()
          .split('\n')
          .pop() ?? '';
      const semiSpaceMb = args.includes('--semi-space-mb')
        ? numberArg(args, '--semi-space-mb', 16)
        : undefined;
      // Optional V8 young-generation cap for the server, to see how much of the RSS is GC headroom.
      const nodeArgs = semiSpaceMb === undefined ? [] : [`--max-semi-space-size=${semiSpaceMb}`];
      server = await startMegaServer({ dataDir, nodeArgs });
      await createRepository(server.url, token, join(dir, 'work'));
      const idleRss = server.rssMb();

      const copy = await timeMs(() => streamCopy(source, join(dir, 'copy.bin')));
      await rm(join(dir, 'copy.bin'));
      const running = server;
      const upload = await sampled(running, () =>
        uploadObject(running.url, token, source, oid, sizeMb * MiB),
      );
      const download = await sampled(running, () =>
        downloadObject(running.url, token, oid, sizeMb * MiB, join(dir, 'download.bin')),
      );
      if ((await sha256File(join(dir, 'download.bin'))) !== oid)
        throw new Error('downloaded content differs');

      const mbps = (ms: number) => (sizeMb * 1000) / ms;
      const row = (name: string, ms: number, peak?: number): BenchResult => ({
        scenario: `lfs ${name} ${sizeMb} MiB`,
        ms: Math.round(ms),
        'MiB/s': mbps(ms),
        ratio: ms / copy.ms,
        ...(peak === undefined ? {} : { 'peak RSS MiB': Math.round(peak) }),
      });
      return [
        row('plain copy (baseline)', copy.ms),
        row('upload (batch+PUT)', upload.ms, upload.peakRss),
        row('download (batch+GET)', download.ms, download.peakRss),
        { scenario: 'lfs server RSS idle MiB', 'peak RSS MiB': Math.round(idleRss) },
      ];
    } finally {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function numberArg(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

/** Creates the repository the way a user does: a first push (an import keeps refs as pushed). */
async function createRepository(baseUrl: string, token: string, workDir: string): Promise<void> {
  const auth = `Authorization: Basic ${Buffer.from(`bench:${token}`).toString('base64')}`;
  // The credential travels in the child's environment only (GIT_CONFIG_*), never in arguments.
  const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: auth };
  await git(['init', '-q', '-b', 'main', workDir]);
  await writeFile(join(workDir, 'README.md'), 'LFS benchmark\n');
  await git(['add', 'README.md'], { cwd: workDir });
  await git(['commit', '-q', '-m', 'init'], { cwd: workDir });
  await git(['push', '-q', `${baseUrl}${REPO}.git`, 'main'], { cwd: workDir, env });
}

/** The baseline: what storing the bytes costs without HTTP or hashing (read, write, fsync). */
async function streamCopy(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: MiB }), createWriteStream(to));
  const handle = await open(to, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sampled<T>(
  server: MegaServer,
  step: () => Promise<T>,
): Promise<{ ms: number; peakRss: number }> {
  let peakRss = server.rssMb();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, server.rssMb());
  }, RSS_SAMPLE_MS);
  try {
    const { ms } = await timeMs(step);
    return { ms, peakRss: Math.max(peakRss, server.rssMb()) };
  } finally {
    clearInterval(timer);
  }
}

interface Action {
  href: string;
  header: Record<string, string>;
}

async function batch(
  baseUrl: string,
  token: string,
  operation: string,
  oid: string,
  size: number,
): Promise<Action> {
  const response = await fetch(`${baseUrl}${REPO}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/vnd.git-lfs+json',
      Authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}`,
    },
    body: JSON.stringify({ operation, objects: [{ oid, size }] }),
  });
  const body = (await response.json()) as { objects?: Array<{ actions?: Record<string, Action> }> };
  const action = body.objects?.[0]?.actions?.[operation];
  if (!action) throw new Error(`batch ${operation} answered ${response.status}: ${JSON.stringify(body)}`);
  return action;
}

/**
 * Transfers run through curl (a C client, like the baseline's plain copy has no client cost to
 * speak of); the action's headers go through a 0600 header file, never the command line.
 */
async function curl(action: Action, headerFile: string, args: readonly string[]): Promise<void> {
  const headers = Object.entries(action.header).map(([name, value]) => `${name}: ${value}`);
  await writeFile(headerFile, `${headers.join('\n')}\n`, { mode: 0o600 });
  // Asynchronous, so the RSS sampler keeps running during the transfer.
  const child = spawn('curl', ['-sS', '--fail', '-H', `@${headerFile}`, ...args, action.href], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  await rm(headerFile, { force: true });
  if (code !== 0) throw new Error(`curl failed: ${stderr}`);
}

async function uploadObject(
  baseUrl: string,
  token: string,
  path: string,
  oid: string,
  size: number,
): Promise<void> {
  const action = await batch(baseUrl, token, 'upload', oid, size);
  await curl(action, `${path}.headers`, [
    '-o',
    '/dev/null',
    '-H',
    'Content-Type: application/octet-stream',
    '-T',
    path,
  ]);
}

async function downloadObject(
  baseUrl: string,
  token: string,
  oid: string,
  size: number,
  to: string,
): Promise<void> {
  const action = await batch(baseUrl, token, 'download', oid, size);
  await curl(action, `${to}.headers`, ['-o', to]);
}
