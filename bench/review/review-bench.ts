import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedCommits, type SeedCommit } from '../../tests/access/support/seed-commits.js';
import { authEnv } from '../../tests/http/http-fixture.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  type DialectName,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { type BenchResult, argValue, timeMs } from '../report.js';
import { measureMergeability } from './mergeability-probe.js';

/**
 * `review` benchmark (issue 22): a merge request touching 1,000 files across 10 repositories whose
 * targets moved since it was proposed (another merge request changed other lines of the same
 * files), so every file needs a line-level three-way merge:
 * - mergeability: computed in-process over the server's database (what runs when an MR is opened
 *   or its target moves), against `git merge-tree --write-tree` on the same inputs;
 * - merge: `POST …/merge` (server time), against C git's merge-tree + commit-tree + update-ref;
 * - its page with 200 inline comments: the server time of the calls the web UI makes to open it.
 */
const LINES_PER_FILE = 40;
const PAGE_RUNS = 5;
const MR_LINE = /merge request !(\d+)/;

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function fileText(repo: number, file: number, edits: Readonly<Record<number, string>> = {}): string {
  const lines: string[] = [];
  for (let line = 1; line <= LINES_PER_FILE; line++) {
    lines.push(edits[line] ?? `repository ${repo} file ${file} line ${line}: some text to merge`);
  }
  return `${lines.join('\n')}\n`;
}

async function createToken(dataDir: string, env: Record<string, string>, user: string): Promise<string> {
  const created = await runMega(['token', 'create', user, '--admin', '--data', dataDir], { env });
  if (created.code !== 0) throw new Error(`mega token create ${user} failed: ${created.stderr}`);
  return created.stdout.trim().split('\n').pop() ?? '';
}

/** Rewrites line `line` of every file of every repository in the view clone `dir`, commits. */
async function editEveryFile(dir: string, repos: number, files: number, line: number, label: string) {
  for (let repo = 0; repo < repos; repo++) {
    for (let file = 0; file < files; file++) {
      const text = fileText(repo, file, { [line]: `${label} changed line ${line}` });
      await writeFile(join(dir, `p${repo}`, 'src', `f${file}.txt`), text);
    }
  }
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '-m', `${label}: line ${line} of every file`], { cwd: dir });
}

async function pushForMergeRequest(dir: string, url: string, token: string, branch: string): Promise<number> {
  // A topic branch per proposal: a clone behind the view pushes without a client-side refusal.
  const pushed = await git(['push', url, `HEAD:refs/heads/${branch}`], { cwd: dir, env: authEnv(token) });
  const match = MR_LINE.exec(pushed.stderr);
  if (!match) throw new Error(`no merge request in: ${pushed.stderr}`);
  return Number(match[1]);
}

interface ApiTiming {
  readonly wallMs: number;
  readonly serverMs: number;
  readonly body: unknown;
}

async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<ApiTiming> {
  const { ms, value: response } = await timeMs(() =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
  const timing = /app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
  return { wallMs: ms, serverMs: timing ? Number(timing[1]) : ms, body: JSON.parse(text) as unknown };
}

/** C git on the same inputs: per repository, base, ours (line `ours`), theirs (line `theirs`). */
async function cgitMerges(
  dir: string,
  repos: number,
  files: number,
  ours: number,
  theirs: number,
): Promise<{ mergeabilityMs: number; mergeMs: number }> {
  await git(['init', '-q', '--bare', dir]);
  const commits: SeedCommit[] = [];
  for (let repo = 0; repo < repos; repo++) {
    const filesOf = (edits: (file: number) => Readonly<Record<number, string>>) =>
      Object.fromEntries(
        Array.from({ length: files }, (_, file) => [`src/f${file}.txt`, fileText(repo, file, edits(file))]),
      );
    commits.push(
      { ref: `refs/heads/base${repo}`, message: 'base\n', files: filesOf(() => ({})) },
      {
        ref: `refs/heads/theirs${repo}`,
        parent: `refs/heads/base${repo}`,
        message: 'theirs\n',
        files: filesOf(() => ({ [theirs]: `theirs changed line ${theirs}` })),
      },
      {
        ref: `refs/heads/ours${repo}`,
        parent: `refs/heads/base${repo}`,
        message: 'ours\n',
        files: filesOf(() => ({ [ours]: `ours changed line ${ours}` })),
      },
    );
  }
  await seedCommits(dir, commits);
  let mergeabilityMs = 0;
  let mergeMs = 0;
  for (let repo = 0; repo < repos; repo++) {
    const check = await timeMs(() =>
      git(['merge-tree', '--write-tree', `theirs${repo}`, `ours${repo}`], { cwd: dir }),
    );
    mergeabilityMs += check.ms;
    const merge = await timeMs(async () => {
      const tree = (
        await gitText(['merge-tree', '--write-tree', `theirs${repo}`, `ours${repo}`], { cwd: dir })
      ).split('\n')[0];
      const commit = await gitText(
        ['commit-tree', tree ?? '', '-p', `theirs${repo}`, '-p', `ours${repo}`, '-m', 'merge'],
        { cwd: dir },
      );
      await git(['update-ref', `refs/heads/theirs${repo}`, commit], { cwd: dir });
    });
    mergeMs += merge.ms;
  }
  return { mergeabilityMs, mergeMs };
}

/**
 * `npm run bench -- review [--repos 10] [--files 100] [--comments 200] [--runs 3]
 * [--database sqlite|postgres|mysql]`
 */
export async function runReviewBench(args: readonly string[]): Promise<BenchResult[]> {
  const repos = Number(argValue(args, '--repos') ?? 10);
  const files = Number(argValue(args, '--files') ?? 100);
  const comments = Number(argValue(args, '--comments') ?? 200);
  const runs = Number(argValue(args, '--runs') ?? 3);
  const dialect = argValue(args, '--database') ?? 'sqlite';
  if (!DIALECT_NAMES.includes(dialect as DialectName)) throw new Error(`unknown --database ${dialect}`);
  const dir = await mkdtemp(join(tmpdir(), 'mega-bench-review-'));
  const scratch: ScratchDatabase = await createScratchDatabase(dialect as DialectName);
  let server: MegaServer | undefined;
  try {
    const dataDir = join(dir, 'data');
    const env = { MEGA_DATABASE_URL: scratch.url, MEGA_SECRET_KEY: randomBytes(32).toString('hex') };
    const alice = await createToken(dataDir, env, 'alice');
    const bob = await createToken(dataDir, env, 'bob');
    server = await startMegaServer({ dataDir, args: ['--no-worker'], env });
    const url = server.url;

    const source = join(dir, 'source');
    await git(['init', '-q', '-b', 'main', source]);
    await seedCommits(
      source,
      Array.from({ length: repos }, (_, repo) => ({
        ref: `refs/heads/p${repo}`,
        message: `project ${repo}\n`,
        files: Object.fromEntries(
          Array.from({ length: files }, (_, file) => [`src/f${file}.txt`, fileText(repo, file)]),
        ),
      })),
    );
    for (let repo = 0; repo < repos; repo++) {
      await git(['push', '-q', `${url}/projects/p${repo}`, `refs/heads/p${repo}:refs/heads/main`], {
        cwd: source,
        env: authEnv(alice),
      });
    }
    // Two clones of the same view: the first change merges, the second then needs line merges.
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await mkdir(dir, { recursive: true });
    for (const clone of [first, second]) {
      await git(['clone', '-q', `${url}/projects`, clone], { env: authEnv(alice) });
      await git(['config', 'user.name', 'Alice'], { cwd: clone });
      await git(['config', 'user.email', 'alice@example.com'], { cwd: clone });
    }
    await editEveryFile(first, repos, files, 30, 'first');
    const firstMr = await pushForMergeRequest(first, `${url}/projects`, alice, 'first');
    await api(url, 'POST', `/api/v1/merge-requests/${firstMr}/merge`, bob);
    await editEveryFile(second, repos, files, 5, 'second');
    const mr = await pushForMergeRequest(second, `${url}/projects`, alice, 'second');

    const detail = (await api(url, 'GET', `/api/v1/merge-requests/${mr}`, bob)).body as {
      diffs: Array<{ repoPath: string; diff: { files: Array<{ path: string }> } }>;
    };
    const touched = detail.diffs.reduce((sum, item) => sum + item.diff.files.length, 0);
    for (let index = 0; index < comments; index++) {
      const item = detail.diffs[index % detail.diffs.length];
      const file = item?.diff.files[Math.floor(index / detail.diffs.length) % (item.diff.files.length || 1)];
      await api(url, 'POST', `/api/v1/merge-requests/${mr}/discussions`, bob, {
        body: `comment ${index} on this line`,
        position: { repoPath: item?.repoPath, path: file?.path, side: 'new', line: 5 },
      });
    }
    // What the page asks for when it opens, each timed on the server.
    const PAGE_CALLS = ['', '/discussions', '/merge-status', '/timeline', '/commits'];
    const page: number[] = [];
    const perCall = new Map<string, number[]>(PAGE_CALLS.map((path) => [path, []]));
    for (let run = 0; run < PAGE_RUNS; run++) {
      let serverMs = 0;
      for (const path of PAGE_CALLS) {
        const ms = (await api(url, 'GET', `/api/v1/merge-requests/${mr}${path}`, bob)).serverMs;
        perCall.get(path)?.push(ms);
        serverMs += ms;
      }
      page.push(serverMs);
    }
    const pageParts = PAGE_CALLS.map(
      (path) => `${path || '/'}=${Math.round(median(perCall.get(path) ?? []))}`,
    );

    const mergeability = await measureMergeability(scratch, dataDir, mr, runs);
    const merged = await api(url, 'POST', `/api/v1/merge-requests/${mr}/merge`, bob);
    const cgit = await cgitMerges(join(dir, 'cgit.git'), repos, files, 5, 30);

    const mergeabilityMs = median(mergeability);
    return [
      {
        scenario: 'mergeability',
        database: scratch.dialect,
        files: touched,
        repos,
        ms: Math.round(mergeabilityMs),
        target_ms: 1000,
        cgit_ms: Math.round(cgit.mergeabilityMs),
        ratio: mergeabilityMs / cgit.mergeabilityMs,
      },
      {
        scenario: 'merge',
        database: scratch.dialect,
        files: touched,
        repos,
        ms: Math.round(merged.serverMs),
        target_ms: 2000,
        cgit_ms: Math.round(cgit.mergeMs),
        ratio: merged.serverMs / cgit.mergeMs,
      },
      {
        scenario: `page with ${comments} comments`,
        database: scratch.dialect,
        files: touched,
        repos,
        ms: Math.round(median(page)),
        target_ms: 300,
        first_ms: Math.round(page[0] ?? 0),
        parts_ms: pageParts.join(' '),
      },
    ];
  } finally {
    await server?.stop();
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
