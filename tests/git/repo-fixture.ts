import { writeFile, mkdir, rm, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isObjectType } from '../../src/git/object.js';
import type { ExternalBase } from '../../src/git/pack-types.js';
import { git, gitText } from '../support/git-cli.js';
import { makeTempDir } from '../support/temp-dir.js';

/** Deterministic bytes so repositories are identical on every run. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

export interface FixtureRepo {
  readonly path: string;
  remove(): Promise<void>;
}

async function commitAll(cwd: string, message: string, day: number): Promise<void> {
  const date = `${1700000000 + day * 86400} +0000`;
  await git(['add', '-A'], { cwd });
  await git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

/**
 * A repository exercising the object model: edits (so deltas exist), renames, binary and
 * large-ish files, an empty tree, a gitlink, a merge, lightweight and annotated tags.
 */
export async function createFixtureRepo(objectFormat: 'sha1' | 'sha256' = 'sha1'): Promise<FixtureRepo> {
  const dir = await makeTempDir('mega-git-fixture-');
  const cwd = dir.path;
  await git(['init', '-q', '-b', 'main', `--object-format=${objectFormat}`, cwd]);
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'lorem ipsum '.repeat(i % 7)}`);
  await mkdir(join(cwd, 'src'), { recursive: true });
  await writeFile(join(cwd, 'src/main.txt'), lines.join('\n'));
  await writeFile(join(cwd, 'binary.bin'), pseudoRandomBytes(50_000, 1));
  await writeFile(join(cwd, 'large.dat'), pseudoRandomBytes(300_000, 2));
  await commitAll(cwd, 'initial', 0);
  for (let round = 1; round <= 6; round++) {
    lines.splice(round * 37, 3, `edited in round ${round}`);
    await writeFile(join(cwd, 'src/main.txt'), lines.join('\n'));
    const bin = pseudoRandomBytes(50_000, 1);
    bin.fill(round, round * 1000, round * 1000 + 200);
    await writeFile(join(cwd, 'binary.bin'), bin);
    await writeFile(join(cwd, `notes-${round}.md`), `note ${round}\n`.repeat(round * 10));
    await commitAll(cwd, `round ${round}`, round);
  }
  await rename(join(cwd, 'notes-1.md'), join(cwd, 'renamed-notes.md'));
  await commitAll(cwd, 'rename', 7);
  await git(['checkout', '-q', '-b', 'side', 'HEAD~2'], { cwd });
  await writeFile(join(cwd, 'side.txt'), 'side branch\n');
  await commitAll(cwd, 'side work', 8);
  await git(['checkout', '-q', 'main'], { cwd });
  await git(['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], {
    cwd,
    env: { GIT_AUTHOR_DATE: '1700900000 +0000', GIT_COMMITTER_DATE: '1700900000 +0000' },
  });
  await git(['tag', 'light'], { cwd });
  await git(['tag', '-a', 'v1.0', '-m', 'release 1.0\n\nwith a body'], { cwd });
  await git(['tag', '-a', 'tag-of-tag', '-m', 'nested', 'v1.0'], { cwd });
  // An empty tree and a gitlink cannot come from the work tree; build them with plumbing.
  const emptyTree = await gitText(['mktree'], { cwd, input: '' });
  const blob = await gitText(['rev-parse', 'HEAD:side.txt'], { cwd });
  const head = await gitText(['rev-parse', 'HEAD'], { cwd });
  const tree = await gitText(['mktree'], {
    cwd,
    input: `040000 tree ${emptyTree}\tempty\n160000 commit ${head}\tsubmodule\n100644 blob ${blob}\tfile\n`,
  });
  const special = await gitText(['commit-tree', tree, '-p', 'HEAD', '-m', 'empty tree and gitlink'], { cwd });
  await git(['update-ref', 'refs/heads/special', special], { cwd });
  await rm(join(cwd, 'side.txt'), { force: true });
  return { path: cwd, remove: dir.remove };
}

/** Every object id in the repository (`git cat-file --batch-all-objects`). */
export async function allObjectIds(cwd: string): Promise<string[]> {
  const out = await gitText(['cat-file', '--batch-all-objects', '--batch-check=%(objectname)'], { cwd });
  return out.split('\n').filter(Boolean);
}

/** A pack of every reachable object, made by git, as bytes. */
export async function gitPackOf(cwd: string, extraArgs: readonly string[] = []): Promise<Buffer> {
  const list = await git(['rev-list', '--objects', '--all'], { cwd });
  return (await git(['pack-objects', '--stdout', ...extraArgs], { cwd, input: list.stdout })).stdout;
}

/** `git cat-file --batch` output for the given ids. */
export async function catFileBatch(cwd: string, ids: readonly string[]): Promise<Buffer> {
  return (await git(['cat-file', '--batch'], { cwd, input: ids.map((id) => `${id}\n`).join('') })).stdout;
}

/** One object as `git cat-file --batch` gives it: a thin pack's external base (undefined if absent). */
export async function gitObject(cwd: string, id: string): Promise<ExternalBase | undefined> {
  const out = await catFileBatch(cwd, [id]);
  const newline = out.indexOf(0x0a);
  const [, type, size] = out.subarray(0, newline).toString().split(' ');
  if (!type || !isObjectType(type)) return undefined;
  return { type, data: out.subarray(newline + 1, newline + 1 + Number(size)) };
}

/** A thin pack of HEAD~3..HEAD made by git: its deltas may name bases that are not in it. */
export async function gitThinPackOf(cwd: string): Promise<Buffer> {
  const args = ['pack-objects', '--revs', '--stdout', '--thin', '--delta-base-offset'];
  return (await git(args, { cwd, input: 'HEAD\n^HEAD~3\n' })).stdout;
}
