import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, gitText } from './git-cli.js';

export interface GitObjectDump {
  readonly type: string;
  readonly data: Buffer;
}

/** Every object of a repository as `git cat-file --batch-all-objects --batch` prints them. */
export async function dumpObjects(repoDir: string): Promise<Map<string, GitObjectDump>> {
  const out = (await git(['cat-file', '--batch-all-objects', '--batch'], { cwd: repoDir })).stdout;
  const objects = new Map<string, GitObjectDump>();
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    const [id, type, size] = out.toString('utf8', pos, eol).split(' ');
    const start = eol + 1;
    const end = start + Number(size);
    objects.set(id!, { type: type!, data: Buffer.from(out.subarray(start, end)) });
    pos = end + 1;
  }
  return objects;
}

/**
 * A repository generated at run time: `commits` commits editing a few text files (so packs get
 * deltas), optionally one random binary file of `largeFileBytes`.
 */
export async function makeRepository(
  dir: string,
  options: { commits?: number; largeFileBytes?: number; branch?: string } = {},
): Promise<void> {
  await git(['init', '-q', '-b', options.branch ?? 'main', dir]);
  const commits = options.commits ?? 3;
  for (let i = 0; i < commits; i++) {
    const lines = Array.from({ length: 200 }, (_, n) => `line ${n} of file, revision ${n % 7 === 0 ? i : 0}`);
    await writeFile(join(dir, 'notes.txt'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, `file-${i % 4}.txt`), `content ${i}\n`.repeat(50));
    if (i === 0 && options.largeFileBytes)
      await writeFile(join(dir, 'large.bin'), randomBytes(options.largeFileBytes));
    await git(['add', '-A'], { cwd: dir });
    await git(['commit', '-q', '-m', `commit ${i}`], { cwd: dir });
  }
  // An annotated tag, and a tag of that tag (peeling must follow both).
  await git(['tag', '-a', 'v1', '-m', 'release 1', 'HEAD~1'], { cwd: dir });
  await git(['-c', 'advice.nestedTag=false', 'tag', '-a', 'v1-outer', '-m', 'tag of a tag', 'v1'], {
    cwd: dir,
  });
}

/**
 * A repository with one commit per entry of `commits` (`commit 1`, `commit 2` …), each writing the
 * given files (parent folders created); returns the last commit's id.
 */
export async function makeRepo(
  dir: string,
  commits: ReadonlyArray<Readonly<Record<string, string | Buffer>>>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(['init', '-q', '-b', 'main', dir]);
  let n = 0;
  for (const files of commits) {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    await git(['add', '-A'], { cwd: dir });
    await git(['commit', '-q', '-m', `commit ${++n}`], { cwd: dir });
  }
  return revParse(dir, 'HEAD');
}

/** `commits` commits on main, commit i adding `dir/file<i>.txt` (i lines of `content i`). */
export async function makeFileHistory(dir: string, commits: number): Promise<string> {
  const files = Array.from({ length: commits }, (_, i) => ({
    [`dir/file${i + 1}.txt`]: `content ${i + 1}\n`.repeat(i + 1),
  }));
  return makeRepo(dir, files);
}

/** Writes one file (parent folders created) and commits everything; returns the new commit's id. */
export async function commitFile(
  dir: string,
  name: string,
  content: string,
  message: string,
): Promise<string> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '-m', message], { cwd: dir });
  return revParse(dir, 'HEAD');
}

/** A pack of everything reachable from `revs` (and not from `excluded`); thin when asked. */
export async function packOf(
  repoDir: string,
  revs: readonly string[],
  options: { excluded?: readonly string[]; thin?: boolean } = {},
): Promise<Buffer> {
  const all = revs.includes('--all');
  const listed = revs.filter((rev) => rev !== '--all');
  const input = `${[...listed, ...(options.excluded ?? []).map((rev) => `^${rev}`)].join('\n')}\n`;
  const args = [
    'pack-objects',
    '--stdout',
    '--revs',
    '-q',
    ...(all ? ['--all'] : []),
    ...(options.thin ? ['--thin'] : []),
  ];
  return (await git(args, { cwd: repoDir, input })).stdout;
}

export function revParse(repoDir: string, rev: string): Promise<string> {
  return gitText(['rev-parse', rev], { cwd: repoDir });
}

/** Yields `data` in chunks, like a network stream. */
export async function* chunked(data: Buffer, size = 8192): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
}

/** Yields the first `failAt` bytes of `data`, then fails, like a dropped connection. */
export async function* failingAfter(data: Buffer, failAt: number, size = 4096): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < failAt; pos += size) yield data.subarray(pos, Math.min(pos + size, failAt));
  throw new Error('connection reset by peer');
}
