import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer } from '../../tests/support/mega-process.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { BenchScenario } from '../main.js';
import { timeMs, type BenchResult } from '../report.js';

/**
 * `npm run bench -- web [--files N] [--runs N] [--json]`
 *
 * A repository with one directory of N files (default 10,000) and a 1 MiB source file is pushed
 * to a real `mega serve`. Measured against C git on the same repository in the same run:
 * - directory listing: server time (the API's `Server-Timing`) and wall time of
 *   `GET /api/v1/repos/tree` vs `git ls-tree HEAD dir/`;
 * - 1 MiB file: `GET /api/v1/repos/blob` vs `git cat-file -p HEAD:big.ts`;
 * - a commit editing that file in three places: `GET /api/v1/repos/commit` (Myers diff) vs `git show`;
 * - rendering in headless Chromium (no C git peer): the file page until the code is on screen, and
 *   the directory page until its first screenful (1,000 rows; the rest on request) is there.
 * Medians of `--runs` (default 7) after one warm-up.
 */
const MIB = 1024 * 1024;

function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** fast-import stream: N small files under dir/ and one ~1 MiB TypeScript file. */
function fastImportStream(files: number): Buffer {
  const parts: string[] = [];
  for (let i = 1; i <= files; i++) {
    const data = `export const value${i} = ${i};\n`;
    parts.push(`blob\nmark :${i}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  const lines: string[] = [];
  for (let size = 0, i = 0; size < MIB; i++) {
    const line = `export function f${i}(x: number): string { return \`value \${x + ${i}}\`; } // line ${i}`;
    lines.push(line);
    size += line.length + 1;
  }
  const big = `${lines.join('\n')}\n`;
  parts.push(`blob\nmark :${files + 1}\ndata ${Buffer.byteLength(big)}\n${big}\n`);
  parts.push('commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata 6\nbench\n');
  for (let i = 1; i <= files; i++) parts.push(`M 100644 :${i} dir/file-${String(i).padStart(6, '0')}.ts\n`);
  parts.push(`M 100644 :${files + 1} big.ts\n\n`);
  // A second commit edits the big file in three places (the commit-diff measurement).
  const edited = lines.map((line, i) =>
    i % Math.floor(lines.length / 3) === 7 ? `${line} // edited` : line,
  );
  const bigEdited = `${edited.join('\n')}\n`;
  parts.push(`blob\nmark :${files + 2}\ndata ${Buffer.byteLength(bigEdited)}\n${bigEdited}\n`);
  parts.push('commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000100 +0000\ndata 5\nedit\n');
  parts.push(`M 100644 :${files + 2} big.ts\n\n`);
  return Buffer.from(parts.join(''));
}

async function timedFetch(url: string): Promise<{ wallMs: number; serverMs: number; bytes: number }> {
  const { ms, value } = await timeMs(async () => {
    const response = await fetch(url);
    const body = await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return { body, timing: response.headers.get('server-timing') ?? '' };
  });
  const serverMs = Number(/dur=([\d.]+)/.exec(value.timing)?.[1] ?? NaN);
  return { wallMs: ms, serverMs, bytes: value.body.byteLength };
}

async function measure<T>(runs: number, step: () => Promise<T>): Promise<T[]> {
  await step();
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await step());
  return results;
}

/** Wall time in Chromium from navigation until `selector` is on screen, per run. */
async function renderTimes(
  baseUrl: string,
  runs: number,
  pages: ReadonlyArray<readonly [path: string, selector: string]>,
): Promise<number[][] | undefined> {
  const { launchBrowser } = await import('../../tests/e2e/support/browser.js');
  const session = await launchBrowser(baseUrl).catch((error: unknown) => {
    process.stderr.write(`bench web: no browser, render time skipped (${String(error)})\n`);
    return undefined;
  });
  if (!session) return undefined;
  try {
    const all: number[][] = [];
    for (const [path, selector] of pages) {
      all.push(
        await measure(runs, async () => {
          const { ms } = await timeMs(async () => {
            await session.page.goto(path);
            await session.page.waitForSelector(selector, { timeout: 60_000 });
          });
          return ms;
        }),
      );
    }
    return all;
  } finally {
    await session.close();
  }
}

async function run(args: readonly string[]): Promise<BenchResult[]> {
  const files = option(args, 'files', 10_000);
  const runs = option(args, 'runs', 7);
  const temp = await makeTempDir('mega-bench-web-');
  const repo = join(temp.path, 'repo');
  await mkdir(repo);
  await git(['init', '-q', '-b', 'main', repo]);
  await git(['fast-import', '--quiet'], { cwd: repo, input: fastImportStream(files) });
  const dataDir = join(temp.path, 'data');
  const server = await startMegaServer({ dataDir, args: ['--no-worker'] });
  try {
    const token = (await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir])).stdout.trim();
    await git(['push', '-q', `${server.url}/import/bench.git`, 'main'], {
      cwd: repo,
      env: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
      },
    });
    const api = `${server.url}/api/v1/repos`;
    const tree = await measure(runs, () => timedFetch(`${api}/tree?repo=/import/bench&ref=main&path=dir`));
    const gitTree = await measure(
      runs,
      async () => (await timeMs(() => git(['ls-tree', 'HEAD', 'dir/'], { cwd: repo }))).ms,
    );
    const blob = await measure(runs, () => timedFetch(`${api}/blob?repo=/import/bench&ref=main&path=big.ts`));
    const gitBlob = await measure(
      runs,
      async () => (await timeMs(() => git(['cat-file', '-p', 'HEAD:big.ts'], { cwd: repo }))).ms,
    );
    const commit = await measure(runs, () => timedFetch(`${api}/commit?repo=/import/bench&id=main`));
    const gitShow = await measure(
      runs,
      async () => (await timeMs(() => git(['show', 'HEAD'], { cwd: repo }))).ms,
    );
    const render = await renderTimes(server.url, Math.min(runs, 3), [
      ['/ui/repo/import/bench/-/blob/main/big.ts', '.code-view'],
      ['/ui/repo/import/bench/-/tree/main/dir', `table.listing tr:nth-child(${Math.min(files, 1000)})`],
    ]);
    const treeWall = median(tree.map((r) => r.wallMs));
    const blobWall = median(blob.map((r) => r.wallMs));
    const results: BenchResult[] = [
      {
        scenario: `list-dir-${files}`,
        server_ms: median(tree.map((r) => r.serverMs)),
        wall_ms: treeWall,
        git_ms: median(gitTree),
        ratio: treeWall / median(gitTree),
        target: 'server_ms < 300',
      },
      {
        scenario: 'blob-1mib',
        server_ms: median(blob.map((r) => r.serverMs)),
        wall_ms: blobWall,
        git_ms: median(gitBlob),
        ratio: blobWall / median(gitBlob),
        bytes: blob[0]?.bytes,
      },
    ];
    const commitWall = median(commit.map((r) => r.wallMs));
    results.push({
      scenario: 'commit-diff-1mib',
      server_ms: median(commit.map((r) => r.serverMs)),
      wall_ms: commitWall,
      git_ms: median(gitShow),
      ratio: commitWall / median(gitShow),
    });
    if (render) {
      results.push({ scenario: 'render-1mib-chromium', wall_ms: median(render[0] ?? []) });
      results.push({ scenario: `render-dir-${files}-chromium`, wall_ms: median(render[1] ?? []) });
    }
    return results;
  } finally {
    await server.stop();
    await temp.remove();
  }
}

export const scenario: BenchScenario = {
  description:
    'web: list a 10,000-file directory and show a 1 MiB file (API server time, Chromium render) vs C git',
  run,
};
