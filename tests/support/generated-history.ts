import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { git, gitText } from './git-cli.js';

/**
 * The generated repositories of the `pack` and `scale` benchmarks and the large-repository test:
 * text files in nested directories (dirN/modN/pkgN, about 40 files per leaf), edited a few lines
 * at a time over many commits so deltas exist. The same seed gives the same repository:
 * `small` is 50 734 objects (about 15 s to generate), `large` 497 148 (about 85 s on a quiet
 * machine; the size of git/git, issue 20).
 */
export const HISTORY_SIZES = {
  small: { files: 3000, commits: 1500, editsPerCommit: 8 },
  large: { files: 25000, commits: 12000, editsPerCommit: 10 },
} as const;
export type HistorySize = keyof typeof HISTORY_SIZES;

/** Files per leaf directory, so tree objects stay the size of real ones whatever the file count. */
const FILES_PER_DIRECTORY = 40;

export function isHistorySize(value: string): value is HistorySize {
  return value in HISTORY_SIZES;
}

/** Deterministic pseudo-random source (LCG) so generated repositories are identical per size. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

const WORDS =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
    ' ',
  );

function makeLines(next: () => number, count: number): string[] {
  return Array.from({ length: count }, () => {
    const n = 3 + (next() % 9);
    return Array.from({ length: n }, () => WORDS[next() % WORDS.length]).join(' ');
  });
}

/**
 * The fast-import stream of a generated history, one Buffer per commit: the large stream is
 * past the longest string V8 can build, and streaming it keeps ~0.7 GB out of memory.
 */
export function* fastImportChunks(size: HistorySize): Generator<Buffer> {
  const { files, commits, editsPerCommit } = HISTORY_SIZES[size];
  const next = lcg(7);
  const contents = Array.from({ length: files }, () => makeLines(next, 20 + (next() % 200)));
  const leaves = Math.max(1, Math.round(files / FILES_PER_DIRECTORY));
  const pathOf = (i: number) => {
    const leaf = i % leaves;
    return `dir${leaf % 17}/mod${leaf % 7}/pkg${leaf}/file${i}.txt`;
  };
  const blob = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let c = 0; c < commits; c++) {
    const parts: string[] = [];
    const when = 1700000000 + c * 600;
    parts.push(`commit refs/heads/main\nmark :${c + 1}\n`);
    parts.push(
      `author Bench <bench@example.com> ${when} +0000\ncommitter Bench <bench@example.com> ${when} +0000\n`,
    );
    parts.push(blob(`commit ${c}`));
    if (c > 0) parts.push(`from :${c}\n`);
    const touched =
      c === 0 ? contents.map((_, i) => i) : Array.from({ length: editsPerCommit }, () => next() % files);
    for (const i of touched) {
      let lines = contents[i]!;
      if (c > 0) {
        const at = next() % lines.length;
        const removed = next() % 3;
        const added = makeLines(next, 1 + (next() % 3));
        lines = contents[i] = [...lines.slice(0, at), ...added, ...lines.slice(at + removed)];
      }
      parts.push(`M 100644 inline ${pathOf(i)}\n${blob(lines.join('\n'))}`);
    }
    yield Buffer.from(parts.join(''));
  }
}

/** Feeds `chunks` to `git fast-import` in `repo`, waiting whenever its stdin is full. */
function fastImport(repo: string, chunks: Iterator<Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], {
      cwd: repo,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}: ${stderr}`)),
    );
    const write = () => {
      for (;;) {
        const next = chunks.next();
        if (next.done) return void child.stdin.end();
        if (!child.stdin.write(next.value)) return void child.stdin.once('drain', write);
      }
    };
    write();
  });
}

/** Generates the history of `size` as a packed bare repository `dir/repo-<size>`; returns its path. */
export async function generateHistoryRepo(dir: string, size: HistorySize): Promise<string> {
  const repo = join(dir, `repo-${size}`);
  await git(['init', '-q', '--bare', repo]);
  // The history is on main; without this HEAD names `master` (no global config), which does not exist.
  await git(['symbolic-ref', 'HEAD', 'refs/heads/main'], { cwd: repo });
  await fastImport(repo, fastImportChunks(size));
  await git(['repack', '-adq', '--window=10', '--depth=50'], { cwd: repo });
  return repo;
}

/**
 * Adds refs a real project has: a lightweight tag on every `tagEvery`-th commit of main and a
 * branch on every `branchEvery`-th (no new objects, so the object count stays the generator's).
 * Returns how many refs were added.
 */
export async function addReleaseRefs(repo: string, tagEvery = 100, branchEvery = 2000): Promise<number> {
  const commits = (await gitText(['rev-list', '--reverse', 'main'], { cwd: repo })).split('\n');
  const lines: string[] = [];
  commits.forEach((id, index) => {
    const n = index + 1;
    if (n % tagEvery === 0) lines.push(`create refs/tags/v${n / tagEvery} ${id}`);
    if (n % branchEvery === 0) lines.push(`create refs/heads/release-${n / branchEvery} ${id}`);
  });
  await git(['update-ref', '--stdin'], { cwd: repo, input: `${lines.join('\n')}\n` });
  return lines.length;
}

/**
 * Commits one new file on `main` of the bare repository `repo` (a temporary index, no checkout:
 * 25 000 files are not written out for one commit); returns the new commit's id. It is dated a
 * minute after its parent, as a new commit is: the tests' fixed date would put it before the
 * whole generated history, a clock skew that makes every date-ordered walk visit all of it.
 */
export async function newCommitOnMain(repo: string, name = 'dir0/next.txt'): Promise<string> {
  const index = { GIT_INDEX_FILE: join(repo, 'scratch-index') };
  const parent = await gitText(['rev-parse', 'main'], { cwd: repo });
  const parentTime = Number(await gitText(['log', '-1', '--format=%ct', parent], { cwd: repo }));
  const date = `${parentTime + 60} +0000`;
  const blob = await gitText(['hash-object', '-w', '--stdin'], { cwd: repo, input: `after ${parent}\n` });
  await git(['read-tree', 'main'], { cwd: repo, env: index });
  await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${name}`], { cwd: repo, env: index });
  const tree = await gitText(['write-tree'], { cwd: repo, env: index });
  const commit = await gitText(['commit-tree', tree, '-p', parent, '-m', `one more after ${parent}`], {
    cwd: repo,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  await git(['update-ref', 'refs/heads/main', commit, parent], { cwd: repo });
  await rm(index.GIT_INDEX_FILE, { force: true });
  return commit;
}

/** Every ref of a repository as `name id` lines (two repositories with equal lists have equal refs). */
export function refLines(repo: string): Promise<string> {
  return gitText(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: repo });
}
