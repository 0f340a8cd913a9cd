import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../../../tests/support/git-cli.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { RepositoryBrowser, type BrowsableRepository } from './repository-browser.js';
import { loadGitRepository } from './testing/git-object-source.js';
import { codeOf } from '../../../tests/support/mega-errors.js';

let temp: { path: string; remove: () => Promise<void> };
let repo: BrowsableRepository;
const ids: string[] = [];

async function commitFiles(dir: string, files: Record<string, string | null>, message: string, time: number) {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) await git(['rm', '-q', path], { cwd: dir });
    else {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
      await git(['add', path], { cwd: dir });
    }
  }
  const date = `${time} +0000`;
  await git(['commit', '-q', '-m', message], {
    cwd: dir,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  ids.push(await gitText(['rev-parse', 'HEAD'], { cwd: dir }));
}

async function expectError(promise: Promise<unknown>, code: string) {
  expect(await codeOf(promise)).toBe(code);
}

beforeAll(async () => {
  temp = await makeTempDir();
  const dir = temp.path;
  await git(['init', '-q', '-b', 'main', dir]);
  await commitFiles(dir, { 'README.md': '# demo\n', 'src/a.ts': 'one\ntwo\nthree\n' }, 'first', 1700000000);
  await commitFiles(dir, { 'src/a.ts': 'one\n2\nthree\nfour\n' }, 'second\n\nbody text', 1700000100);
  await commitFiles(dir, { 'docs/guide.md': 'guide\n', 'bin.dat': 'a\u0000b' }, 'third', 1700000200);
  await commitFiles(dir, { 'README.md': null }, 'fourth', 1700000300);
  await git(['tag', '-a', 'v1', '-m', 'release', ids[1]!], { cwd: dir });
  await git(['branch', 'old', ids[0]!], { cwd: dir });
  repo = await loadGitRepository(dir);
});

afterAll(async () => temp.remove());

describe('RepositoryBrowser', () => {
  it('lists refs with the default branch', async () => {
    const refs = await new RepositoryBrowser(repo).refs();
    expect(refs.defaultBranch).toBe('main');
    expect(refs.refs.map((ref) => `${ref.kind}:${ref.shortName}`).sort()).toEqual([
      'branch:main',
      'branch:old',
      'tag:v1',
    ]);
  });

  it('resolves branches, tags (peeled), full ids and HEAD', async () => {
    const browser = new RepositoryBrowser(repo);
    expect(await browser.resolve('main')).toBe(ids[3]);
    expect(await browser.resolve('refs/heads/old')).toBe(ids[0]);
    expect(await browser.resolve('v1')).toBe(ids[1]);
    expect(await browser.resolve('HEAD')).toBe(ids[3]);
    expect(await browser.resolve(ids[2]!.toUpperCase())).toBe(ids[2]);
  });

  it('refuses hostile or unknown revisions with typed errors', async () => {
    const browser = new RepositoryBrowser(repo);
    for (const bad of ['', '../main', 'main..old', '-n', 'a b', 'x\u0000', 'main@{1}', 'a'.repeat(300)]) {
      await expectError(browser.resolve(bad), 'revision_invalid');
    }
    await expectError(browser.resolve('nope'), 'revision_not_found');
    await expectError(browser.resolve('0'.repeat(40)), 'revision_not_found');
  });

  it('pages the log newest first and follows one path', async () => {
    const browser = new RepositoryBrowser(repo);
    const first = await browser.log({ revision: 'main', limit: 3 });
    expect(first.commits.map((c) => c.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(first.hasMore).toBe(true);
    const second = await browser.log({ revision: 'main', offset: 3, limit: 3 });
    expect(second.commits.map((c) => c.id)).toEqual([ids[0]]);
    expect(second.hasMore).toBe(false);
    const file = await browser.log({ revision: 'main', path: 'src/a.ts' });
    expect(file.commits.map((c) => c.title)).toEqual(['second', 'first']);
    expect(first.commits[2]?.author).toMatchObject({ name: 'Test Author', timestamp: 1700000100 });
    await expectError(browser.log({ revision: 'main', limit: 1000 }), 'paging_invalid');
    await expectError(browser.log({ revision: 'main', offset: -1 }), 'paging_invalid');
  });

  it('lists trees directories first and reads blobs at any revision', async () => {
    const browser = new RepositoryBrowser(repo);
    const root = await browser.tree('main', '');
    expect(root.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['tree:docs', 'tree:src', 'blob:bin.dat']);
    const old = await browser.blob('old', 'README.md');
    expect(old.content.toString()).toBe('# demo\n');
    expect((await browser.blob('main', 'bin.dat')).binary).toBe(true);
    expect((await browser.tree('main', '/src/')).entries.map((e) => e.path)).toEqual(['src/a.ts']);
  });

  it('refuses traversal and reports missing paths', async () => {
    const browser = new RepositoryBrowser(repo);
    await expectError(browser.tree('main', '../etc'), 'path_invalid');
    await expectError(browser.tree('main', 'src/../..'), 'path_invalid');
    await expectError(browser.blob('main', 'src//a.ts'), 'path_invalid');
    await expectError(browser.blob('main', 'nope.txt'), 'path_not_found');
    await expectError(browser.blob('main', 'src'), 'path_not_file');
    await expectError(browser.tree('main', 'src/a.ts'), 'path_not_tree');
    await expectError(browser.blob('main', 'src/a.ts/x'), 'path_not_found');
  });

  it('shows a commit with its diff against the first parent', async () => {
    const detail = await new RepositoryBrowser(repo).commit(ids[1]!);
    expect(detail.message).toBe('second\n\nbody text\n');
    const [file] = detail.diff.files;
    expect(file).toMatchObject({ path: 'src/a.ts', status: 'modified', additions: 2, deletions: 1 });
    expect(file?.hunks[0]?.lines.map((l) => `${l.kind}:${l.text}`)).toEqual([
      'context:one',
      'delete:two',
      'add:2',
      'context:three',
      'add:four',
    ]);
  });

  it('compares two commits like git diff --stat', async () => {
    const result = await new RepositoryBrowser(repo).compare('old', 'main');
    const stat = result.diff.files.map((f) => `${f.status}:${f.path}:+${f.additions}-${f.deletions}`);
    expect(stat).toEqual([
      'deleted:README.md:+0-1',
      'added:bin.dat:+0-0',
      'added:docs/guide.md:+1-0',
      'modified:src/a.ts:+2-1',
    ]);
    expect(result.diff.files[1]?.binary).toBe(true);
    const numstat = await gitText(['diff', '--numstat', ids[0]!, ids[3]!], { cwd: temp.path });
    expect(numstat).toContain('2\t1\tsrc/a.ts');
  });
});
