import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../../../tests/support/git-cli.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { RepositoryBrowser } from './repository-browser.js';
import { loadGitRepository } from './testing/git-object-source.js';

/**
 * Oracle tests against C git: blame (`git blame --porcelain`), ahead/behind
 * (`git rev-list --left-right --count`) and each tree entry's last commit (`git log -1 -- path`)
 * on generated histories with edits, insertions, deletions and merges.
 */
let temp: { path: string; remove: () => Promise<void> };
let time = 1700000000;
let nextToken = 0;

async function commitAll(dir: string, message: string): Promise<string> {
  time += 60;
  const date = `${time} +0000`;
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd: dir,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return gitText(['rev-parse', 'HEAD'], { cwd: dir });
}

async function merge(dir: string, branch: string, edit?: (lines: string[]) => void): Promise<void> {
  time += 60;
  const env = { GIT_AUTHOR_DATE: `${time} +0000`, GIT_COMMITTER_DATE: `${time} +0000` };
  await git(['merge', '-q', '--no-ff', '--no-commit', branch], { cwd: dir, env });
  if (edit) {
    const lines = await readLines(dir);
    edit(lines);
    await writeLines(dir, lines);
    await git(['add', '-A'], { cwd: dir });
  }
  await git(['commit', '-q', '-m', `merge ${branch}`], { cwd: dir, env });
}

const FILE = 'src/f.txt';
const token = () => `line ${++nextToken} ${'x'.repeat(nextToken % 7)}`;
async function readLines(dir: string): Promise<string[]> {
  const text = (await git(['show', `:${FILE}`], { cwd: dir })).stdout.toString('utf8');
  return text.split('\n').slice(0, -1);
}
async function writeLines(dir: string, lines: readonly string[]): Promise<void> {
  await writeFile(join(dir, FILE), lines.map((line) => `${line}\n`).join(''));
}

/** A deterministic pseudo-random sequence (tests must be reproducible). */
function random(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % below;
  };
}

/** Random edits, insertions and deletions in a window of the file (so branches merge cleanly). */
function mutate(lines: string[], next: (below: number) => number, from: number, to: number): void {
  const edits = 1 + next(3);
  for (let n = 0; n < edits; n++) {
    const window = Math.max(1, Math.min(to, lines.length) - from);
    const at = from + next(window);
    const what = next(3);
    if (what === 0 && lines.length > 4) lines.splice(at, 1 + next(2));
    else if (what === 1) lines.splice(at, 0, ...Array.from({ length: 1 + next(3) }, token));
    else lines[Math.min(at, lines.length - 1)] = token();
  }
}

async function gitBlame(dir: string, rev: string): Promise<string[]> {
  const text = await gitText(['blame', '--porcelain', rev, '--', FILE], { cwd: dir });
  const owners: string[] = [];
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]{40}) \d+ (\d+)/.exec(line);
    if (header) owners[Number(header[2]) - 1] = header[1]!;
  }
  return owners;
}

function expand(ranges: ReadonlyArray<{ start: number; count: number; commit: string }>): string[] {
  return ranges.flatMap((range) => new Array<string>(range.count).fill(range.commit));
}

beforeAll(async () => {
  temp = await makeTempDir();
});
afterAll(async () => temp.remove());

describe('blame against git blame --porcelain', () => {
  it('matches on a generated history with edits, insertions, deletions and merges', async () => {
    const dir = join(temp.path, 'blame');
    await git(['init', '-q', '-b', 'main', dir]);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'src'), { recursive: true }));
    const next = random(42);
    let lines = Array.from({ length: 40 }, token);
    await writeLines(dir, lines);
    await commitAll(dir, 'first');
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 4; n++) {
        mutate(lines, next, 0, lines.length);
        await writeLines(dir, lines);
        await commitAll(dir, `main ${round}.${n}`);
      }
      // A side branch edits the top of the file while main edits the bottom, then they merge.
      await git(['checkout', '-q', '-b', `side${round}`], { cwd: dir });
      for (let n = 0; n < 3; n++) {
        lines = await readLines(dir);
        mutate(lines, next, 0, 10);
        await writeLines(dir, lines);
        await commitAll(dir, `side ${round}.${n}`);
      }
      await git(['checkout', '-q', 'main'], { cwd: dir });
      for (let n = 0; n < 2; n++) {
        lines = await readLines(dir);
        mutate(lines, next, lines.length - 10, lines.length);
        await writeLines(dir, lines);
        await commitAll(dir, `main bottom ${round}.${n}`);
      }
      // The last merge also writes a line of its own (an "evil merge").
      await merge(dir, `side${round}`, round === 2 ? (all) => all.splice(20, 0, token()) : undefined);
      lines = await readLines(dir);
    }
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    for (const name of ['main', 'side1', 'main~1', 'main~3', 'main^2']) {
      const rev = await gitText(['rev-parse', name], { cwd: dir });
      const ours = await browser.blame(rev, FILE);
      expect(ours.truncated).toBe(false);
      expect({ rev, owners: expand(ours.ranges) }).toEqual({ rev, owners: await gitBlame(dir, rev) });
      for (const range of ours.ranges) expect(ours.commits[range.commit]).toBeDefined();
    }
  });

  it('flags lines the commit bound cut short and gives them the oldest commit reached', async () => {
    const dir = join(temp.path, 'bounded');
    await git(['init', '-q', '-b', 'main', dir]);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'src'), { recursive: true }));
    const lines = ['a', 'b', 'c'];
    await writeLines(dir, lines);
    await commitAll(dir, 'first');
    lines.push('d');
    await writeLines(dir, lines);
    await commitAll(dir, 'second');
    lines.push('e');
    await writeLines(dir, lines);
    const head = await commitAll(dir, 'third');
    const { blameFile } = await import('./blame.js');
    const { ObjectReader } = await import('./object-reader.js');
    const repository = await loadGitRepository(dir);
    const result = await blameFile(new ObjectReader(repository.objects), head as never, ['src', 'f.txt'], {
      maxCommits: 1,
    });
    expect(result.truncated).toBe(true);
    const second = await gitText(['rev-parse', 'HEAD~1'], { cwd: dir });
    expect(result.ranges).toEqual([
      { start: 1, count: 4, commit: second, sourceStart: 1, bounded: true },
      { start: 5, count: 1, commit: head, sourceStart: 5 },
    ]);
  });

  it('refuses a directory and a missing file', async () => {
    const dir = join(temp.path, 'blame');
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    await expect(browser.blame('main', 'src')).rejects.toMatchObject({ code: 'path_not_file' });
    await expect(browser.blame('main', 'nope.txt')).rejects.toMatchObject({ code: 'path_not_found' });
  });
});

describe('ahead/behind and last commits against git', () => {
  it('counts like git rev-list --left-right --count and attributes like git log -1', async () => {
    const dir = join(temp.path, 'blame');
    // Branches that moved on after their merge, and one far behind.
    await git(['branch', '-q', 'old', 'main~5'], { cwd: dir });
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    const page = await browser.branches({ offset: 0, limit: 100 });
    expect(page.items[0]).toMatchObject({ name: 'main', isDefault: true });
    for (const branch of page.items.filter((item) => !item.isDefault)) {
      const [behind, ahead] = (
        await gitText(['rev-list', '--left-right', '--count', `main...${branch.name}`], { cwd: dir })
      ).split(/\s+/);
      expect({
        branch: branch.name,
        ahead: branch.ahead,
        behind: branch.behind,
        exact: branch.exact,
      }).toEqual({
        branch: branch.name,
        ahead: Number(ahead),
        behind: Number(behind),
        exact: true,
      });
    }
    const filtered = await browser.branches({ filter: 'SIDE', offset: 0, limit: 2 });
    expect(filtered).toMatchObject({ total: 3, hasMore: true });
    expect(page.items.map((item) => item.name)).toContain('old');
    expect(filtered.items.map((item) => item.name)).toEqual(['side0', 'side1']);

    for (const rev of ['main', 'side1']) {
      const info = await browser.treeInfo(rev, 'src');
      expect(info.complete).toBe(true);
      for (const entry of info.entries) {
        const expected = await gitText(['log', '-1', '--format=%H', rev, '--', `src/${entry.name}`], {
          cwd: dir,
        });
        expect({ name: entry.name, commit: entry.lastCommit?.id }).toEqual({
          name: entry.name,
          commit: expected,
        });
      }
    }
    for (const [base, head] of [
      ['side2', 'main'],
      [await gitText(['rev-parse', 'main~4'], { cwd: dir }), 'side2'],
      ['old', 'side1'],
    ] as const) {
      const compared = await browser.compareCommits(base, head);
      const expected = await gitText(['log', '--format=%H', `${base}..${head}`], { cwd: dir });
      expect(compared.commits.map((c) => c.id)).toEqual(expected.split('\n').filter(Boolean));
      expect(compared.mergeBase).toBe(await gitText(['merge-base', base, head], { cwd: dir }));
    }
    const root = await browser.treeInfo('main', '');
    expect(root.entries).toHaveLength(1);
    expect(root.entries[0]!.size).toBeUndefined();
  });

  it('stops a long count at its bound and says so', async () => {
    const dir = join(temp.path, 'long');
    await git(['init', '-q', '-b', 'main', dir]);
    await commitAll(dir, 'base');
    await git(['branch', '-q', 'stale'], { cwd: dir });
    for (let n = 0; n < 12; n++) await commitAll(dir, `c${n}`);
    const { aheadBehind } = await import('./ahead-behind.js');
    const { ObjectReader } = await import('./object-reader.js');
    const repository = await loadGitRepository(dir);
    const reader = new ObjectReader(repository.objects);
    const stale = (await gitText(['rev-parse', 'stale'], { cwd: dir })) as never;
    const main = (await gitText(['rev-parse', 'main'], { cwd: dir })) as never;
    expect(await aheadBehind(reader, stale, main)).toEqual({ ahead: 0, behind: 12, exact: true });
    const cut = await aheadBehind(reader, stale, main, 5);
    expect(cut.exact).toBe(false);
    expect(cut.behind).toBeGreaterThanOrEqual(5);
  });

  it('lists tags with target, annotation and date', async () => {
    const dir = join(temp.path, 'long');
    await git(['tag', 'v1.2', 'main~2'], { cwd: dir });
    time += 60;
    await git(['tag', '-a', '-m', 'Release ten\n\nnotes', 'v1.10', 'main'], {
      cwd: dir,
      env: { GIT_COMMITTER_DATE: `${time} +0000` },
    });
    const browser = new RepositoryBrowser(await loadGitRepository(dir));
    const tags = await browser.tags({ offset: 0, limit: 10 });
    expect(tags.items.map((tag) => tag.name)).toEqual(['v1.10', 'v1.2']);
    expect(tags.items[0]).toMatchObject({ annotated: true, message: 'Release ten', date: time });
    expect(tags.items[1]).toMatchObject({ annotated: false });
    expect(tags.items[1]!.commit!.id).toBe(await gitText(['rev-parse', 'main~2'], { cwd: dir }));
  });
});
