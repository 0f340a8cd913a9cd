import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { git } from '../../tests/support/git-cli.js';
import { runMega, startMegaServer } from '../../tests/support/mega-process.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { BenchScenario } from '../main.js';
import { type BenchResult, argValue, percentile, timeMs } from '../report.js';

/**
 * `npm run bench -- search [--git DIR] [--express DIR] [--files N] [--json]`
 *
 * Code search on an installation holding git/git and express (issue 21). The default branch of
 * each (a local clone: `--git`, `--express`, default the mirrors under /work/.mirror; no network)
 * is pushed as one snapshot commit of its tree to a real `mega serve`; the push event indexes it.
 * Without the mirrors a generated corpus of `--files` C-like files (default 4,000) stands in.
 * Reported: the time from push to a current index, then 20 queries (literals, regexes, path
 * filters) each run 3 times after one warm-up: median and p95 of the API's server time and of
 * wall time, against `git grep` over the same trees (`git grep -n -i -F`, or `-E`, first match
 * lines of every file: git has no index, so it reads everything; we stop at the limit of 50).
 * The database is the server's default (SQLite in the data directory) unless MEGA_DATABASE_URL
 * is set.
 */
const MIRRORS = { git: '/work/.mirror/git+git/repo', express: '/work/.mirror/expressjs+express/repo' };

interface Query {
  readonly q: string;
  readonly regex?: boolean;
  readonly path?: string;
}

/** Twenty queries a reader of git/git and express might type. */
const QUERIES: readonly Query[] = [
  { q: 'strbuf_addf' },
  { q: 'static int' },
  { q: 'express.Router' },
  { q: 'res.sendFile' },
  { q: 'repo_config_get' },
  { q: 'TODO' },
  { q: 'die(_(' },
  { q: 'parse_options' },
  { q: 'app.listen' },
  { q: 'hashmap_get' },
  { q: 'xmalloc(' },
  { q: 'Content-Type' },
  { q: 'no such ref nowhere to be found' },
  { q: 'strbuf_add\\w+\\(', regex: true },
  { q: '^#include <\\w+\\.h>', regex: true },
  { q: 'static (int|void) \\w+\\(', regex: true },
  { q: 'req\\.query\\.\\w+', regex: true },
  { q: 'error', path: '/import/git/builtin' },
  { q: 'require', path: '/import/express/lib' },
  { q: '\\bint\\b', regex: true, path: '/import/git/t/helper' },
];

/** A one-commit repository holding `source`'s HEAD tree (or a generated corpus), ready to push. */
async function snapshot(source: string | undefined, dir: string, files: number): Promise<void> {
  if (source && existsSync(source)) {
    await git(['clone', '-q', '--depth', '1', `file://${source}`, dir]);
    await git(['checkout', '-q', '--orphan', 'snapshot'], { cwd: dir });
    await git(['commit', '-q', '-m', 'snapshot'], { cwd: dir });
    return;
  }
  await git(['init', '-q', '-b', 'snapshot', dir]);
  const parts: string[] = [];
  for (let i = 0; i < files; i++) {
    const body = Array.from(
      { length: 60 },
      (_, line) =>
        `static int fn_${i}_${line}(struct strbuf *sb) { strbuf_addf(sb, "%d", ${line}); return ${line}; }`,
    ).join('\n');
    const data = `#include <stdio.h>\n${body}\n`;
    parts.push(`blob\nmark :${i + 1}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  parts.push(
    'commit refs/heads/snapshot\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata 9\nsnapshot\n',
  );
  for (let i = 0; i < files; i++) parts.push(`M 100644 :${i + 1} builtin/file-${i}.c\n`);
  await git(['fast-import', '--quiet'], { cwd: dir, input: Buffer.from(`${parts.join('')}\n`) });
}

async function run(args: readonly string[]): Promise<BenchResult[]> {
  const files = Number(argValue(args, '--files') ?? 4000);
  const temp = await makeTempDir('mega-bench-search-');
  const sources = {
    git: argValue(args, '--git') ?? MIRRORS.git,
    express: argValue(args, '--express') ?? MIRRORS.express,
  };
  const dirs = { git: join(temp.path, 'git'), express: join(temp.path, 'express') };
  await snapshot(sources.git, dirs.git, files);
  await snapshot(sources.express, dirs.express, Math.ceil(files / 40));
  const dataDir = join(temp.path, 'data');
  const server = await startMegaServer({ dataDir, args: ['--no-worker'] });
  try {
    const token = (await runMega(['token', 'create', 'bench', '--admin', '--data', dataDir])).stdout
      .trim()
      .split('\n')
      .pop();
    const auth = {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
    };
    const started = process.hrtime.bigint();
    for (const name of ['git', 'express'] as const) {
      await git(['push', '-q', `${server.url}/import/${name}`, 'snapshot:main'], {
        cwd: dirs[name],
        env: auth,
      });
    }
    const pushedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // Indexing runs after each push in the background: wait until both indexes are current.
    for (;;) {
      const status = await runMega(['search', 'status', '--data', dataDir]);
      const current = status.stdout
        .split('\n')
        .filter((line) => /^\/import\/(git|express): current/.test(line));
      if (current.length === 2) break;
      await sleep(500);
    }
    const indexedMs = Number(process.hrtime.bigint() - started) / 1e6;

    const server_ms: number[] = [];
    const wall_ms: number[] = [];
    const git_ms: number[] = [];
    let capped = 0;
    for (const query of QUERIES) {
      const params = new URLSearchParams({ q: query.q, ...(query.regex ? { regex: 'true' } : {}) });
      if (query.path) params.set('path', query.path);
      const url = `${server.url}/api/v1/search?${params.toString()}`;
      const once = async () => {
        const { ms, value } = await timeMs(async () => {
          const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
          const body = (await response.json()) as { capped: boolean };
          return { timing: response.headers.get('server-timing') ?? '', capped: body.capped };
        });
        return { ms, serverMs: Number(/dur=([\d.]+)/.exec(value.timing)?.[1] ?? NaN), capped: value.capped };
      };
      await once();
      const runs = [await once(), await once(), await once()];
      const middle = [...runs].sort((a, b) => a.ms - b.ms)[1]!;
      wall_ms.push(middle.ms);
      server_ms.push(middle.serverMs);
      if (middle.capped) capped += 1;
      // The same question to C git, over both trees.
      let peer = 0;
      for (const name of ['git', 'express'] as const) {
        const scope = query.path?.startsWith(`/import/${name}`)
          ? query.path.slice(`/import/${name}/`.length)
          : '';
        if (query.path && !query.path.startsWith(`/import/${name}`)) continue;
        const flags = query.regex ? ['-E'] : ['-F'];
        peer += (
          await timeMs(() =>
            git(['grep', '-n', '-i', ...flags, '-e', query.q, 'HEAD', '--', ...(scope ? [scope] : [])], {
              cwd: dirs[name],
              check: false,
            }),
          )
        ).ms;
      }
      git_ms.push(peer);
    }
    const row = (
      scenario: string,
      values: readonly number[],
      extra: Record<string, number | string> = {},
    ) => ({
      scenario,
      median_ms: percentile(values, 50),
      p95_ms: percentile(values, 95),
      ...extra,
    });
    return [
      { scenario: 'push-both', wall_ms: pushedMs },
      { scenario: 'push-to-current-index', wall_ms: indexedMs },
      row('search-20-server', server_ms, { capped }),
      row('search-20-wall', wall_ms, {
        target: 'wall p95 < 200',
        ratio: percentile(wall_ms, 50) / percentile(git_ms, 50),
      }),
      row('git-grep-20', git_ms),
    ];
  } finally {
    await server.stop();
    await temp.remove();
  }
}

export const scenario: BenchScenario = {
  description: 'search: 20 code searches over git/git and express (median, p95) vs git grep',
  run,
};
