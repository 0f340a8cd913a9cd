import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeFile } from '../../src/git/merge/merge-file.js';
import { mergeTrees } from '../../src/git/merge/merge-trees.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { FileMode } from '../../src/git/tree.js';
import { mergeObjectsOver } from '../../src/review/merge-plan.js';
import { memoryObjects } from '../../src/monorepo/testing/memory-objects.js';
import { replaceAtPath } from '../../src/monorepo/tree-edit.js';
import { git, gitText } from '../support/git-cli.js';
import { makeTempDir } from '../support/temp-dir.js';

/**
 * The merge engine against C git, the oracle the issue asks for: every case is merged by
 * `mergeFile`/`mergeTrees` and by `git merge-file -p` / `git merge-tree --write-tree` on a scratch
 * repository, and the verdicts (and the merged content or tree id when clean, the conflict content
 * or conflicting paths otherwise) must agree.
 */

const lines = (count: number, changes: Record<number, string | null> = {}, eol = '\n'): string =>
  Array.from({ length: count }, (_, i) => i + 1)
    .filter((n) => changes[n] !== null)
    .map((n) => `${changes[n] ?? `line ${n}`}${eol}`)
    .join('');
const README = lines(10);

interface TextCase {
  readonly name: string;
  readonly base: string | Buffer;
  readonly ours: string | Buffer;
  readonly theirs: string | Buffer;
}

const TEXT_CASES: TextCase[] = [
  {
    name: 'disjoint edits (line 3 vs line 8)',
    base: README,
    ours: lines(10, { 3: 'three' }),
    theirs: lines(10, { 8: 'eight' }),
  },
  {
    name: 'adjacent edits conflict',
    base: README,
    ours: lines(10, { 3: 'three' }),
    theirs: lines(10, { 4: 'four' }),
  },
  {
    name: 'edits one line apart',
    base: README,
    ours: lines(10, { 3: 'three' }),
    theirs: lines(10, { 5: 'five' }),
  },
  {
    name: 'same edit on both sides',
    base: README,
    ours: lines(10, { 5: 'five' }),
    theirs: lines(10, { 5: 'five' }),
  },
  {
    name: 'same edit plus another on one side',
    base: README,
    ours: lines(10, { 2: 'two', 9: 'nine' }),
    theirs: lines(10, { 2: 'two' }),
  },
  {
    name: 'insertion at the start vs edit at the end',
    base: README,
    ours: `new first\n${README}`,
    theirs: lines(10, { 10: 'ten' }),
  },
  {
    name: 'insertions at the end differ',
    base: README,
    ours: `${README}ours tail\n`,
    theirs: `${README}theirs tail\n`,
  },
  {
    name: 'insertion at the start and at the end',
    base: README,
    ours: `${README}tail\n`,
    theirs: `head\n${README}`,
  },
  {
    name: 'same insertion at one place',
    base: README,
    ours: lines(10, { 5: 'line 5\nextra' }),
    theirs: lines(10, { 5: 'line 5\nextra' }),
  },
  {
    name: 'different insertions at one place',
    base: README,
    ours: lines(10, { 5: 'line 5\nmine' }),
    theirs: lines(10, { 5: 'line 5\nyours' }),
  },
  {
    name: 'deletion vs distant edit',
    base: README,
    ours: lines(10, { 2: null }),
    theirs: lines(10, { 7: 'seven' }),
  },
  {
    name: 'same deletion on both sides',
    base: README,
    ours: lines(10, { 6: null }),
    theirs: lines(10, { 6: null }),
  },
  {
    name: 'deletion vs edit of the same line',
    base: README,
    ours: lines(10, { 6: null }),
    theirs: lines(10, { 6: 'six' }),
  },
  {
    name: 'deletions of adjacent lines',
    base: README,
    ours: lines(10, { 4: null }),
    theirs: lines(10, { 5: null }),
  },
  {
    name: 'no trailing newline, disjoint edits',
    base: 'a\nb\nc\nd\ne\nf',
    ours: 'a\nB\nc\nd\ne\nf',
    theirs: 'a\nb\nc\nd\ne\nF',
  },
  {
    name: 'newline added at the end vs early edit',
    base: 'a\nb\nc\nd\ne\nf',
    ours: 'a\nb\nc\nd\ne\nf\n',
    theirs: 'A\nb\nc\nd\ne\nf',
  },
  {
    name: 'last line without newline changed differently',
    base: 'a\nb\nc',
    ours: 'a\nb\nours',
    theirs: 'a\nb\ntheirs',
  },
  {
    name: 'CRLF disjoint edits',
    base: lines(8, {}, '\r\n'),
    ours: lines(8, { 2: 'two' }, '\r\n'),
    theirs: lines(8, { 7: 'seven' }, '\r\n'),
  },
  {
    name: 'CRLF conflicting edits',
    base: lines(8, {}, '\r\n'),
    ours: lines(8, { 4: 'four' }, '\r\n'),
    theirs: lines(8, { 4: 'FOUR' }, '\r\n'),
  },
  {
    name: 'CRLF added to an empty file differently (LF markers, as git)',
    base: '',
    ours: 'one\r\n',
    theirs: 'two\r\n',
  },
  {
    name: 'CRLF last line without newline changed differently',
    base: 'a\r\nb\r\nc',
    ours: 'a\r\nb\r\nours',
    theirs: 'a\r\nb\r\ntheirs',
  },
  {
    name: 'mixed line ends: LF base, CRLF edits',
    base: 'a\nb\nc\n',
    ours: 'a\r\nb\nc\n',
    theirs: 'a\nb\nc\r\n',
  },
  { name: 'empty base, different content added', base: '', ours: 'one\n', theirs: 'two\n' },
  { name: 'empty base, same content added', base: '', ours: 'same\n', theirs: 'same\n' },
  { name: 'empty base, one side adds', base: '', ours: 'added\n', theirs: '' },
  { name: 'file emptied vs edited', base: README, ours: '', theirs: lines(10, { 2: 'two' }) },
  {
    name: 'conflict with common lines inside (refined)',
    base: README,
    ours: lines(10, { 3: 'x', 4: 'same', 5: 'y' }),
    theirs: lines(10, { 3: 'p', 4: 'same', 5: 'q' }),
  },
  {
    name: 'two conflicts far apart',
    base: lines(20),
    ours: lines(20, { 3: 'a', 15: 'b' }),
    theirs: lines(20, { 3: 'c', 15: 'd' }),
  },
  {
    name: 'two conflicts two lines apart are joined',
    base: README,
    ours: lines(10, { 3: 'a', 6: 'b' }),
    theirs: lines(10, { 3: 'c', 6: 'd' }),
  },
  {
    name: 'conflicts separated by punctuation only are joined',
    base: 'a\n{\n}\n{\n}\n{\n}\nb\n',
    ours: 'A\n{\n}\n{\n}\n{\n}\nB\n',
    theirs: 'X\n{\n}\n{\n}\n{\n}\nY\n',
  },
  {
    name: 'repeated lines: insertion of a duplicate',
    base: 'f() {\n}\n\ng() {\n}\n',
    ours: 'f() {\n}\n\nh() {\n}\n\ng() {\n}\n',
    theirs: 'f() {\n}\n\ng() {\n  body\n}\n',
  },
  {
    name: 'large file, edits far apart',
    base: lines(2000),
    ours: lines(2000, { 100: 'hundred' }),
    theirs: lines(2000, { 1900: 'nineteen hundred' }),
  },
  {
    name: 'unicode, disjoint edits',
    base: 'é\nñ\nü\nß\nø\n',
    ours: 'É\nñ\nü\nß\nø\n',
    theirs: 'é\nñ\nü\nß\nØ\n',
  },
  { name: 'one side unchanged', base: README, ours: README, theirs: lines(10, { 1: 'one', 10: null }) },
  { name: 'both sides rewrite everything differently', base: 'a\nb\n', ours: 'c\nd\n', theirs: 'e\nf\n' },
];

const BINARY_BASE = Buffer.from([1, 0, 2, 3]);

interface TreeFile {
  readonly content: string | Buffer;
  /** 'x' executable, 'l' symlink, 'g' gitlink (content = the commit id). */
  readonly kind?: 'x' | 'l' | 'g';
}
type TreeSpec = Readonly<Record<string, string | TreeFile>>;

interface TreeCase {
  readonly name: string;
  readonly base: TreeSpec;
  readonly ours: TreeSpec;
  readonly theirs: TreeSpec;
}

const SUB_A = 'a'.repeat(40);
const SUB_B = 'b'.repeat(40);
const SUB_C = 'c'.repeat(40);
const common = { 'keep.txt': 'kept\n', 'src/lib.ts': 'export const x = 1;\n' };

const TREE_CASES: TreeCase[] = [
  {
    name: 'both add different files',
    base: common,
    ours: { ...common, 'o.txt': 'o\n' },
    theirs: { ...common, 't.txt': 't\n' },
  },
  {
    name: 'delete one file, modify another',
    base: { ...common, 'd.txt': 'gone soon\n' },
    ours: common,
    theirs: { ...common, 'd.txt': 'gone soon\n', 'keep.txt': 'kept 2\n' },
  },
  {
    name: 'delete vs modify',
    base: { ...common, 'd.txt': 'doomed\n' },
    ours: common,
    theirs: { ...common, 'd.txt': 'doomed but edited\n' },
  },
  { name: 'both delete the same file', base: { ...common, 'd.txt': 'x\n' }, ours: common, theirs: common },
  {
    name: 'exec bit on one side, content on the other',
    base: { ...common, 'run.sh': 'echo 1\n' },
    ours: { ...common, 'run.sh': { content: 'echo 1\n', kind: 'x' } },
    theirs: { ...common, 'run.sh': 'echo 2\n' },
  },
  {
    name: 'same exec bit change on both sides',
    base: { ...common, 'run.sh': 'echo 1\n' },
    ours: { ...common, 'run.sh': { content: 'echo 1\n', kind: 'x' } },
    theirs: { ...common, 'run.sh': { content: 'echo 1\n', kind: 'x' } },
  },
  {
    name: 'add/add with the same content',
    base: common,
    ours: { ...common, 'n.txt': 'same\n' },
    theirs: { ...common, 'n.txt': 'same\n' },
  },
  {
    name: 'add/add with different content',
    base: common,
    ours: { ...common, 'n.txt': 'mine\n' },
    theirs: { ...common, 'n.txt': 'yours\n' },
  },
  {
    name: 'add/add with different modes',
    base: common,
    ours: { ...common, 'n.sh': 'x\n' },
    theirs: { ...common, 'n.sh': { content: 'x\n', kind: 'x' } },
  },
  {
    name: 'file vs directory',
    base: common,
    ours: { ...common, 'd/x.txt': 'in a dir\n' },
    theirs: { ...common, d: 'a file\n' },
  },
  {
    name: 'directory removed vs file inside modified',
    base: { ...common, 'dir/a.txt': 'a\n' },
    ours: common,
    theirs: { ...common, 'dir/a.txt': 'a2\n' },
  },
  {
    name: 'symlink changed on both sides differently',
    base: { ...common, link: { content: 'keep.txt', kind: 'l' } },
    ours: { ...common, link: { content: 'src', kind: 'l' } },
    theirs: { ...common, link: { content: 'src/lib.ts', kind: 'l' } },
  },
  {
    name: 'symlink changed on one side',
    base: { ...common, link: { content: 'keep.txt', kind: 'l' } },
    ours: { ...common, link: { content: 'src', kind: 'l' } },
    theirs: { ...common, link: { content: 'keep.txt', kind: 'l' }, 'keep.txt': 'k2\n' },
  },
  {
    name: 'gitlink moved on both sides differently',
    base: { ...common, sub: { content: SUB_A, kind: 'g' } },
    ours: { ...common, sub: { content: SUB_B, kind: 'g' } },
    theirs: { ...common, sub: { content: SUB_C, kind: 'g' } },
  },
  {
    name: 'gitlink moved on one side',
    base: { ...common, sub: { content: SUB_A, kind: 'g' } },
    ours: { ...common, sub: { content: SUB_B, kind: 'g' } },
    theirs: { ...common, sub: { content: SUB_A, kind: 'g' }, 'o.txt': 'o\n' },
  },
  {
    name: 'binary changed on both sides',
    base: { ...common, 'b.bin': { content: BINARY_BASE } },
    ours: { ...common, 'b.bin': { content: Buffer.from([1, 0, 9]) } },
    theirs: { ...common, 'b.bin': { content: Buffer.from([1, 0, 8]) } },
  },
  {
    name: 'binary changed on one side',
    base: { ...common, 'b.bin': { content: BINARY_BASE } },
    ours: { ...common, 'b.bin': { content: Buffer.from([1, 0, 9]) } },
    theirs: { ...common, 'b.bin': { content: BINARY_BASE }, 'keep.txt': 'k3\n' },
  },
  {
    name: 'README lines 3 and 8',
    base: { ...common, 'README.md': README },
    ours: { ...common, 'README.md': lines(10, { 3: 'three' }) },
    theirs: { ...common, 'README.md': lines(10, { 8: 'eight' }) },
  },
  {
    name: 'README same line',
    base: { ...common, 'README.md': README },
    ours: { ...common, 'README.md': lines(10, { 3: 'three' }) },
    theirs: { ...common, 'README.md': lines(10, { 3: 'drei' }) },
  },
  {
    name: 'changes in different subdirectories',
    base: { ...common, 'a/b/c.txt': 'c\n', 'x/y.txt': 'y\n' },
    ours: { ...common, 'a/b/c.txt': 'c2\n', 'x/y.txt': 'y\n' },
    theirs: { ...common, 'a/b/c.txt': 'c\n', 'x/y.txt': 'y2\n', 'x/z.txt': 'z\n' },
  },
  {
    name: 'both add files to a new directory',
    base: common,
    ours: { ...common, 'new/one.txt': '1\n' },
    theirs: { ...common, 'new/two.txt': '2\n' },
  },
  {
    name: 'exec bit vs delete',
    base: { ...common, 'run.sh': 'echo\n' },
    ours: { ...common, 'run.sh': { content: 'echo\n', kind: 'x' } },
    theirs: common,
  },
  {
    name: 'file turned into a symlink vs content edit',
    base: { ...common, f: 'text\n' },
    ours: { ...common, f: { content: 'keep.txt', kind: 'l' } },
    theirs: { ...common, f: 'text 2\n' },
  },
  {
    name: 'the whole directory removed on one side, untouched on the other',
    base: { ...common, 'old/a.txt': 'a\n', 'old/b.txt': 'b\n' },
    ours: { ...common, 'o.txt': 'x\n' },
    theirs: { ...common, 'old/a.txt': 'a\n', 'old/b.txt': 'b\n', 't.txt': 'y\n' },
  },
  {
    name: 'exact rename on one side, modification on the other',
    base: { ...common, 'old.txt': 'content\nof the file\n' },
    ours: { ...common, 'new.txt': 'content\nof the file\n' },
    theirs: { ...common, 'old.txt': 'content\nof the edited file\n' },
  },
  {
    name: 'modification on one side, exact rename into a directory on the other',
    base: { ...common, 'a.txt': 'alpha\nbeta\ngamma\n' },
    ours: { ...common, 'a.txt': 'alpha\nbeta\nGAMMA\n' },
    theirs: { ...common, 'moved/a.txt': 'alpha\nbeta\ngamma\n' },
  },
  {
    name: 'exact rename with exec bit vs modification',
    base: { ...common, 's.sh': 'echo one\necho two\n' },
    ours: { ...common, 'bin/s.sh': { content: 'echo one\necho two\n', kind: 'x' } },
    theirs: { ...common, 's.sh': 'echo one\necho 2\n' },
  },
  {
    name: 'one file renamed to two different paths (rename/rename)',
    base: { ...common, 'a.txt': 'content\nof a file\n' },
    ours: { ...common, 'b.txt': 'content\nof a file\n' },
    theirs: { ...common, 'c.txt': 'content\nof a file\n' },
  },
  {
    name: 'one file renamed to the same path on both sides',
    base: { ...common, 'a.txt': 'content\nof a file\n' },
    ours: { ...common, 'b.txt': 'content\nof a file\n' },
    theirs: { ...common, 'b.txt': 'content\nof a file\n', 'x.txt': 'x\n' },
  },
];

describe('line merge against git merge-file', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await makeTempDir('mega-merge-file-');
  });
  afterAll(async () => dir.remove());

  it(`has a corpus of ${TEXT_CASES.length + TREE_CASES.length} cases`, () => {
    expect(TEXT_CASES.length + TREE_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TEXT_CASES.map((item) => [item.name, item] as const))('%s', async (_, item) => {
    const files = {
      base: join(dir.path, 'base'),
      ours: join(dir.path, 'ours'),
      theirs: join(dir.path, 'theirs'),
    };
    await writeFile(files.base, item.base);
    await writeFile(files.ours, item.ours);
    await writeFile(files.theirs, item.theirs);
    const expected = await git(
      ['merge-file', '-p', '-L', 'ours', '-L', 'base', '-L', 'theirs', files.ours, files.base, files.theirs],
      { check: false },
    );
    const ours = mergeFile(Buffer.from(item.base), Buffer.from(item.ours), Buffer.from(item.theirs), {
      oursLabel: 'ours',
      theirsLabel: 'theirs',
    });
    expect(ours.conflicts).toBe(expected.code);
    expect(ours.content.toString('latin1')).toBe(expected.stdout.toString('latin1'));
  });

  it('binary content changed on both sides is a conflict (git refuses to merge it)', async () => {
    await writeFile(join(dir.path, 'b'), BINARY_BASE);
    await writeFile(join(dir.path, 'o'), Buffer.from([1, 0, 9]));
    await writeFile(join(dir.path, 't'), Buffer.from([1, 0, 8]));
    const expected = await git(['merge-file', '-p', 'o', 'b', 't'], { cwd: dir.path, check: false });
    expect(expected.code).not.toBe(0);
    const ours = mergeFile(BINARY_BASE, Buffer.from([1, 0, 9]), Buffer.from([1, 0, 8]));
    expect(ours).toEqual({ conflicts: 1, content: Buffer.from([1, 0, 9]), unmerged: 'binary' });
  });
});

describe('tree merge against git merge-tree --write-tree', () => {
  let repo: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    repo = await makeTempDir('mega-merge-tree-');
    await git(['init', '-q', '--bare', repo.path]);
  });
  afterAll(async () => repo.remove());

  const fileOf = (value: string | TreeFile): TreeFile =>
    typeof value === 'string' ? { content: value } : value;
  const modeOf = (file: TreeFile): string =>
    file.kind === 'x'
      ? FileMode.executable
      : file.kind === 'l'
        ? FileMode.symlink
        : file.kind === 'g'
          ? FileMode.gitlink
          : FileMode.blob;

  /** The spec as a commit in the scratch repository (tree built through an index). */
  async function gitCommit(spec: TreeSpec, parent?: string): Promise<{ commit: string; tree: string }> {
    const index = join(repo.path, `index-${Math.random().toString(36).slice(2)}`);
    const env = { GIT_INDEX_FILE: index };
    const info: string[] = [];
    for (const [path, value] of Object.entries(spec)) {
      const file = fileOf(value);
      const id =
        file.kind === 'g'
          ? String(file.content)
          : await gitText(['hash-object', '-w', '--stdin'], { cwd: repo.path, input: file.content });
      info.push(`${modeOf(file)} ${id}\t${path}`);
    }
    await git(['update-index', '--add', '--index-info'], {
      cwd: repo.path,
      env,
      input: `${info.join('\n')}\n`,
    });
    const tree = await gitText(['write-tree'], { cwd: repo.path, env });
    const commit = await gitText(['commit-tree', tree, '-m', 'c', ...(parent ? ['-p', parent] : [])], {
      cwd: repo.path,
    });
    return { commit, tree };
  }

  it.each(TREE_CASES.map((item) => [item.name, item] as const))('%s', async (_, item) => {
    const base = await gitCommit(item.base);
    const ours = await gitCommit(item.ours, base.commit);
    const theirs = await gitCommit(item.theirs, base.commit);
    const expected = await git(
      ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours.commit, theirs.commit],
      { cwd: repo.path, check: false },
    );
    const [treeLine, ...paths] = expected.stdout.toString('utf8').split('\n').filter(Boolean);

    const { objects, reader } = memoryObjects();
    const treeOf = async (spec: TreeSpec): Promise<ObjectId | undefined> => {
      let tree: ObjectId | undefined;
      for (const [path, value] of Object.entries(spec)) {
        const file = fileOf(value);
        const id =
          file.kind === 'g'
            ? (String(file.content) as ObjectId)
            : objects.put('blob', Buffer.from(file.content));
        tree = await replaceAtPath(reader, objects, tree, path.split('/'), { mode: modeOf(file), id });
      }
      return tree;
    };
    const trees = [await treeOf(item.base), await treeOf(item.ours), await treeOf(item.theirs)];
    // The same objects on both sides: the trees git wrote are the ones merged here.
    expect(trees).toEqual([base.tree, ours.tree, theirs.tree]);
    const merged = await mergeTrees(mergeObjectsOver(objects, reader), trees[0], trees[1], trees[2]);
    expect(merged.conflicts.length > 0).toBe(expected.code === 1);
    if (expected.code === 0) expect(merged.tree).toBe(treeLine);
    // git moves one side of a file/directory or file/symlink clash aside as `path~<commit>` and
    // lists both; we report the path itself.
    else
      expect(merged.conflicts).toEqual(
        [...new Set(paths.map((path) => path.replace(/~[0-9a-f]{40}$/, '')))].sort(),
      );
  });
});
