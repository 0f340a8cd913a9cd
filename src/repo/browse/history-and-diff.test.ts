import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../../../tests/support/git-cli.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { RepositoryBrowser } from './repository-browser.js';
import { loadGitRepository } from './testing/git-object-source.js';

let temp: { path: string; remove: () => Promise<void> };
let time = 1700000000;

async function commit(dir: string, message: string): Promise<string> {
  time += 100;
  const date = `${time} +0000`;
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd: dir,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return gitText(['rev-parse', 'HEAD'], { cwd: dir });
}

async function put(dir: string, path: string, content: string): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), content);
}

beforeAll(async () => {
  temp = await makeTempDir();
});
afterAll(async () => temp.remove());

describe('history through merges', () => {
  it('lists merged side-branch commits and follows a path like git log', async () => {
    const dir = join(temp.path, 'merges');
    await git(['init', '-q', '-b', 'main', dir]);
    await put(dir, 'a.txt', 'a\n');
    await commit(dir, 'base');
    await git(['checkout', '-q', '-b', 'side'], { cwd: dir });
    await put(dir, 'b.txt', 'side\n');
    await commit(dir, 'side edits b');
    await git(['checkout', '-q', 'main'], { cwd: dir });
    await put(dir, 'a.txt', 'a2\n');
    await commit(dir, 'main edits a');
    time += 100;
    await git(['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], {
      cwd: dir,
      env: { GIT_AUTHOR_DATE: `${time} +0000`, GIT_COMMITTER_DATE: `${time} +0000` },
    });
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    const all = await browser.log({ revision: 'main' });
    const expected = (await gitText(['log', '--format=%s', 'main'], { cwd: dir })).split('\n');
    expect(all.commits.map((c) => c.title)).toEqual(expected);
    for (const path of ['a.txt', 'b.txt']) {
      const ours = await browser.log({ revision: 'main', path });
      const theirs = (await gitText(['log', '--format=%s', 'main', '--', path], { cwd: dir })).split('\n');
      expect({ path, titles: ours.commits.map((c) => c.title) }).toEqual({ path, titles: theirs });
    }
  });
});

describe('tree diff edge cases', () => {
  it('reports a file replaced by a directory and a mode change like git diff', async () => {
    const dir = join(temp.path, 'kinds');
    await git(['init', '-q', '-b', 'main', dir]);
    await put(dir, 'thing', 'a file\n');
    await put(dir, 'run.sh', 'echo hi\n');
    const before = await commit(dir, 'files');
    await rm(join(dir, 'thing'));
    await put(dir, 'thing/inner.txt', 'now a directory\n');
    await chmod(join(dir, 'run.sh'), 0o755);
    const after = await commit(dir, 'directory');
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    const result = await browser.compare(before, after);
    const summary = result.diff.files.map(
      (f) => `${f.status}:${f.path}:${f.oldMode ?? ''}->${f.newMode ?? ''}`,
    );
    expect(summary).toEqual([
      'modified:run.sh:100644->100755',
      'deleted:thing:100644->',
      'added:thing/inner.txt:->100644',
    ]);
    const gitSummary = await gitText(['diff', '--name-status', before, after], { cwd: dir });
    expect(gitSummary.split('\n').map((line) => line.split('\t')[1])).toEqual([
      'run.sh',
      'thing',
      'thing/inner.txt',
    ]);
  });

  it('diffs a commit against an empty tree for a root commit', async () => {
    const dir = join(temp.path, 'root');
    await git(['init', '-q', '-b', 'main', dir]);
    await put(dir, 'x.txt', 'one\ntwo\n');
    const root = await commit(dir, 'root');
    const detail = await new RepositoryBrowser(await loadGitRepository(dir)).commit(root);
    expect(detail.parents).toEqual([]);
    expect(detail.diff.files).toMatchObject([{ path: 'x.txt', status: 'added', additions: 2, deletions: 0 }]);
  });
});
