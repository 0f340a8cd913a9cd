import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { git, gitText } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../../tests/support/mega-process.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { BenchScenario } from '../main.js';
import { type BenchResult, argValue, percentile, timeMs } from '../report.js';

/**
 * `npm run bench -- ui [--repo DIR] [--depth N] [--runs N] [--details] [--json]`
 *
 * The web UI on express (issue 21): a local express repository (`--repo`, default the mirror under
 * /work/.mirror; no network), its whole history or, with `--depth N`, its last N commits, is
 * pushed to /import/express of a real `mega serve`; its tree as one commit to /projects/express,
 * where a push editing two files opens a merge request. Measured in Debian's Chromium (no C git
 * peer: the targets are absolute):
 * - time to content of the tree, file, history, merge request (overview and changes) and search
 *   pages: from navigation start (`performance.now()` is 0 there) until the page's main content is
 *   visible, in a browser that has seen the UI before (cached assets); median and p95 of `--runs`
 *   (default 7) after one warm-up. Target < 500 ms each.
 * - the first page's transferred size (a fresh browser, gzip only): every response of the tree
 *   page with its README, headers included (`--details` lists each response). Target < 150 KB.
 * - search latency, median and p95 over 20 queries (the API's wall time, each query's median of 3).
 */
const MIRROR = '/work/.mirror/expressjs+express/repo';

/** Twenty searches a reader of express might type. */
const QUERIES: ReadonlyArray<{ q: string; regex?: boolean; path?: string }> = [
  { q: 'res.sendFile' },
  { q: 'express.Router' },
  { q: 'app.listen' },
  { q: 'Content-Type' },
  { q: 'require(' },
  { q: 'module.exports' },
  { q: 'deprecate' },
  { q: 'res.render' },
  { q: 'req.query' },
  { q: 'setHeader' },
  { q: 'TODO' },
  { q: 'no such text anywhere in express' },
  { q: 'function \\w+\\(req, res', regex: true },
  { q: 'res\\.(json|send)\\(', regex: true },
  { q: 'req\\.\\w+\\.\\w+', regex: true },
  { q: '^var \\w+ = require', regex: true },
  { q: 'status\\(\\d{3}\\)', regex: true },
  { q: 'error', path: '/import/express/lib' },
  { q: 'it(', path: '/import/express/test' },
  { q: 'app\\.(get|post)', regex: true, path: '/import/express/examples' },
];

/** A bare copy of the source's default branch as `main`: all of it, or its last `depth` commits. */
async function prepare(source: string, depth: number, target: string): Promise<void> {
  const branch = (await gitText(['-C', source, 'symbolic-ref', '--short', 'HEAD'])).trim();
  await git(['init', '-q', '--bare', '-b', 'main', target]);
  if (depth <= 0) {
    await git(['-C', target, 'fetch', '-q', source, `${branch}:main`]);
    return;
  }
  // A shallow clone re-imported: its oldest commits become roots, so nothing is missing.
  const shallow = `${target}-shallow`;
  await git([
    'clone',
    '-q',
    '--bare',
    '--depth',
    String(depth),
    '--branch',
    branch,
    `file://${source}`,
    shallow,
  ]);
  const stream = await git([
    '-C',
    shallow,
    'fast-export',
    `--refspec=refs/heads/${branch}:refs/heads/main`,
    `refs/heads/${branch}`,
  ]);
  await git(['-C', target, 'fast-import', '--quiet'], { input: stream.stdout });
}

/** The little of the DOM the page-side check uses (this file compiles without DOM types). */
interface PageDocument {
  querySelector(selector: string): { getBoundingClientRect(): { height: number } } | null;
}

/** Time from navigation start until `selector` is visible, read by the page itself. */
async function timeToContent(page: Page, path: string, selector: string): Promise<number> {
  await page.goto(path, { waitUntil: 'commit' });
  // Polled every frame in the page, it reads the page's own clock the frame the content shows.
  // A function, not a string: the UI's CSP forbids eval.
  const handle = await page.waitForFunction(
    (wanted: string) => {
      const { document } = globalThis as unknown as { document: PageDocument };
      const element = document.querySelector(wanted);
      return element && element.getBoundingClientRect().height > 0 ? performance.now() : false;
    },
    selector,
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** Every byte of a first visit (fresh browser, gzip only): headers and compressed bodies. */
async function firstPageBytes(page: Page, path: string, ready: string, details: boolean): Promise<number> {
  const sizes: Array<Promise<readonly [string, number]>> = [];
  page.on('requestfinished', (request) =>
    sizes.push(
      request
        .sizes()
        .then((size) => [request.url(), size.responseBodySize + size.responseHeadersSize] as const),
    ),
  );
  await page.goto(path);
  await page.waitForSelector(ready, { timeout: 60_000 });
  await page.waitForLoadState('networkidle');
  const all = await Promise.all(sizes);
  // `--details`: what the bytes are, on stderr (the table stays on stdout).
  if (details)
    for (const [url, bytes] of all)
      process.stderr.write(`${(bytes / 1024).toFixed(1).padStart(8)} KB  ${url}\n`);
  return all.reduce((sum, [, bytes]) => sum + bytes, 0);
}

async function waitForIndex(dataDir: string, repo: string): Promise<void> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const status = await runMega(['search', 'status', '--data', dataDir]);
    if (status.stdout.split('\n').some((line) => line.startsWith(`${repo}: current`))) return;
    await sleep(500);
  }
  throw new Error(`the search index of ${repo} never became current`);
}

/** Pushes express and a merge request; → the merge request's number. */
async function populate(server: MegaServer, token: string, bare: string, work: string): Promise<string> {
  const env = {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
  };
  await git(['-C', bare, 'push', '-q', `${server.url}/import/express`, 'main'], { env });
  const snapshot = join(work, 'snapshot');
  await git(['clone', '-q', '--depth', '1', `file://${bare}`, snapshot]);
  await git(['-C', snapshot, 'checkout', '-q', '--orphan', 'tree']);
  await git(['-C', snapshot, 'commit', '-q', '-m', 'express as one commit']);
  await git(['-C', snapshot, 'push', '-q', `${server.url}/projects/express`, 'tree:main'], { env });
  for (const file of ['lib/application.js', 'lib/response.js']) {
    const path = join(snapshot, file);
    if (!existsSync(path)) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, '');
    }
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines.splice(Math.floor(lines.length / 2), 1, '// changed by the ui bench', '// and once more');
    await writeFile(path, lines.join('\n'));
  }
  await git(['-C', snapshot, 'commit', '-q', '-am', 'Change two library files']);
  const pushed = await git(['-C', snapshot, 'push', `${server.url}/projects/express`, 'tree:main'], {
    env,
    check: false,
  });
  const number = /merge request !(\d+)/.exec(pushed.stderr)?.[1];
  if (!number) throw new Error(`no merge request was opened: ${pushed.stderr}`);
  return number;
}

async function run(args: readonly string[]): Promise<BenchResult[]> {
  const source = argValue(args, '--repo') ?? MIRROR;
  const depth = Number(argValue(args, '--depth') ?? 0);
  const runs = Number(argValue(args, '--runs') ?? 7);
  if (!existsSync(source)) throw new Error(`no express repository at ${source}: pass --repo DIR`);
  const temp = await makeTempDir('mega-bench-ui-');
  const bare = join(temp.path, 'express.git');
  await prepare(source, depth, bare);
  const commits = (await gitText(['-C', bare, 'rev-list', '--count', 'main'])).trim();
  const dataDir = join(temp.path, 'data');
  const server = await startMegaServer({ dataDir, args: ['--no-worker'] });
  const { launchBrowser } = await import('../../tests/e2e/support/browser.js');
  try {
    const token =
      (await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir])).stdout
        .trim()
        .split('\n')
        .pop() ?? '';
    const { ms: pushMs, value: mr } = await timeMs(() => populate(server, token, bare, temp.path));
    await waitForIndex(dataDir, '/import/express');
    const results: BenchResult[] = [{ scenario: `push-express-${commits}-commits`, wall_ms: pushMs }];

    const session = await launchBrowser(server.url);
    try {
      const fresh = await session.browser.newContext({
        baseURL: server.url,
        extraHTTPHeaders: { 'accept-encoding': 'gzip' },
      });
      const bytes = await firstPageBytes(
        await fresh.newPage(),
        '/ui/repo/import/express/-/tree/main',
        '.readme .markdown-body',
        args.includes('--details'),
      );
      await fresh.close();
      results.push({ scenario: 'first-page-gzip', kb: bytes / 1024, target: 'kb < 150' });

      const { page } = session;
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.goto('/ui/sign-in');
      await page.evaluate(`sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`);
      const pages: ReadonlyArray<readonly [string, string, string]> = [
        ['tree', '/ui/repo/import/express/-/tree/main', '[data-testid="tree-table"] tbody tr'],
        [
          'tree-last-commits',
          '/ui/repo/import/express/-/tree/main',
          '[data-testid="tree-table"] td.entry-time time',
        ],
        ['file', '/ui/repo/import/express/-/blob/main/lib/response.js', '.code-view'],
        ['history', '/ui/repo/import/express/-/commits/main', '.commit-list li'],
        ['mr-overview', `/ui/merge-requests/${mr}`, '[data-testid="timeline"] li'],
        ['mr-changes', `/ui/merge-requests/${mr}/changes`, '[data-testid="file-diff"] table'],
        ['search', '/ui/search?q=res.sendFile', '.search-file'],
      ];
      for (const [name, path, selector] of pages) {
        await timeToContent(page, path, selector);
        const times: number[] = [];
        for (let i = 0; i < runs; i++) times.push(await timeToContent(page, path, selector));
        results.push({
          scenario: `time-to-content-${name}`,
          median_ms: percentile(times, 50),
          p95_ms: percentile(times, 95),
          target: 'median < 500',
        });
      }
    } finally {
      await session.close();
    }

    const latencies: number[] = [];
    for (const query of QUERIES) {
      const params = new URLSearchParams({ q: query.q, ...(query.regex ? { regex: 'true' } : {}) });
      if (query.path) params.set('path', query.path);
      const url = `${server.url}/api/v1/search?${params.toString()}`;
      const once = async () =>
        (
          await timeMs(async () => {
            const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
            if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
            await response.arrayBuffer();
          })
        ).ms;
      await once();
      latencies.push(percentile([await once(), await once(), await once()], 50));
    }
    results.push({
      scenario: 'search-20-queries',
      median_ms: percentile(latencies, 50),
      p95_ms: percentile(latencies, 95),
    });
    return results;
  } finally {
    await server.stop();
    await temp.remove();
  }
}

export const scenario: BenchScenario = {
  description:
    'ui: time to content of the tree, file, history, MR and search pages on express; first-page size',
  run,
};
