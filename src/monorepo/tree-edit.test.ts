import { describe, expect, it } from 'vitest';
import { diffTrees } from '../repo/browse/tree-diff.js';
import { EVERY_PATH } from '../repo/served-repository.js';
import { writeBLink } from './b-link.js';
import { expandDirectory, filterDirectory } from './expand-directory.js';
import { mapPushOntoRepositories } from './push-mapping.js';
import { commitOf, filesOf, memoryObjects, treeOf } from './testing/memory-objects.js';
import { applyChanges, entryAtPath, replaceAtPath } from './tree-edit.js';
import { buildViewCommit, megaIdent } from './synthetic-commit.js';
import { hashObject } from '../git/object.js';

describe('tree editing', () => {
  it('replaces, creates and removes paths, keeping untouched subtrees', async () => {
    const { objects, reader } = memoryObjects();
    const tree = await treeOf(objects, { 'a/b/c.txt': 'c', 'a/d.txt': 'd', 'e.txt': 'e' });
    const blob = objects.put('blob', Buffer.from('new'));
    const replaced = await replaceAtPath(reader, objects, tree, ['a', 'x', 'y.txt'], {
      mode: '100644',
      id: blob,
    });
    expect(await filesOf(reader, replaced!)).toEqual({
      'a/b/c.txt': 'c',
      'a/d.txt': 'd',
      'a/x/y.txt': 'new',
      'e.txt': 'e',
    });
    expect((await entryAtPath(reader, replaced!, ['a', 'b']))?.id).toBe(
      (await entryAtPath(reader, tree, ['a', 'b']))?.id,
    );
    const removed = await replaceAtPath(reader, objects, tree, ['a', 'b', 'c.txt'], undefined);
    expect(await filesOf(reader, removed!)).toEqual({ 'a/d.txt': 'd', 'e.txt': 'e' });
    expect(
      await replaceAtPath(
        reader,
        objects,
        await treeOf(objects, { 'only.txt': 'x' }),
        ['only.txt'],
        undefined,
      ),
    ).toBeUndefined();
  });

  it('applies a diff onto another tree (including file ↔ directory swaps)', async () => {
    const { objects, reader } = memoryObjects();
    const base = await treeOf(objects, { 'a.txt': '1', 'dir/b.txt': '2', f: 'file' });
    const changed = await treeOf(objects, { 'a.txt': '1+', 'dir/c.txt': '3', 'f/inner.txt': 'now a dir' });
    const changes = await diffTrees(reader, base, changed, 1000);
    const target = await treeOf(objects, { 'a.txt': '1', 'dir/b.txt': '2', f: 'file', 'other.txt': 'kept' });
    const result = await applyChanges(reader, objects, target, changes);
    expect(await filesOf(reader, result!)).toEqual({
      'a.txt': '1+',
      'dir/c.txt': '3',
      'f/inner.txt': 'now a dir',
      'other.txt': 'kept',
    });
    const back = await applyChanges(reader, objects, changed, await diffTrees(reader, changed, base, 1000));
    expect(back).toBe(base);
  });
});

describe('directory expansion', () => {
  it('replaces b-links by repository trees and recomputes only the trees above them', async () => {
    const { objects, reader } = memoryObjects();
    const fooTree = await treeOf(objects, { 'src/main.c': 'int main;' });
    const dir = await treeOf(objects, {
      'README.md': 'projects',
      foo: writeBLink({ path: '/projects/foo' }).toString(),
      'team/bar': writeBLink({ path: '/projects/team/bar' }).toString(),
      'team/missing': writeBLink({ path: '/projects/team/missing' }).toString(),
    });
    const barTree = await treeOf(objects, { 'bar.txt': 'bar' });
    const heads = new Map([
      ['/projects/foo', { commit: 'a'.repeat(40), tree: fooTree, committerTime: 5, size: 100 }],
      ['/projects/team/bar', { commit: 'b'.repeat(40), tree: barTree, committerTime: 9, size: 50 }],
    ]);
    const expanded = await expandDirectory(reader, objects, dir, async (path) => heads.get(path) as never, {
      prefix: '/projects',
      reader: EVERY_PATH,
    });
    expect(await filesOf(reader, expanded.tree!)).toEqual({
      'README.md': 'projects',
      'foo/src/main.c': 'int main;',
      'team/bar/bar.txt': 'bar',
    });
    expect(expanded.size).toBe(150);
    expect(expanded.newestTime).toBe(9);
    expect(expanded.links.map((link) => [link.at, link.repoPath])).toEqual([
      ['foo', '/projects/foo'],
      ['team/bar', '/projects/team/bar'],
    ]);
    expect((await entryAtPath(reader, expanded.tree!, ['foo']))?.id).toBe(fooTree);
    expect(expanded.hidden).toEqual([]);

    // A reader of neither /projects/foo nor /projects/team/NOTES: both are left out, the size
    // counts only what is included.
    const notes = await treeOf(objects, {
      'README.md': 'projects',
      foo: writeBLink({ path: '/projects/foo' }).toString(),
      'team/bar': writeBLink({ path: '/projects/team/bar' }).toString(),
      'team/NOTES': 'secret plans',
    });
    const hidden = new Set(['/projects/foo', '/projects/team/NOTES']);
    const filtered = await expandDirectory(reader, objects, notes, async (path) => heads.get(path) as never, {
      prefix: '/projects',
      reader: { canRead: (path) => !hidden.has(path) },
    });
    expect(await filesOf(reader, filtered.tree!)).toEqual({
      'README.md': 'projects',
      'team/bar/bar.txt': 'bar',
    });
    expect(filtered.size).toBe(50);
    expect(filtered.newestTime).toBe(9);
    expect(filtered.hidden).toEqual(['/projects/foo', '/projects/team/NOTES']);
    expect(filtered.links.map((link) => link.repoPath)).toEqual(['/projects/team/bar']);

    // The root, b-links kept as files, without the hidden one.
    const root = await treeOf(objects, {
      'README.md': 'root',
      'projects/foo': writeBLink({ path: '/projects/foo' }).toString(),
      'projects/team/bar': writeBLink({ path: '/projects/team/bar' }).toString(),
    });
    const rootView = await filterDirectory(reader, objects, root, {
      prefix: '',
      reader: { canRead: (path) => !hidden.has(path) },
    });
    expect(Object.keys(await filesOf(reader, rootView.tree!))).toEqual(['README.md', 'projects/team/bar']);
    expect(rootView.linked).toEqual(['/projects/team/bar']);
    expect(rootView.hidden).toEqual(['/projects/foo']);
  });

  it('view commits are byte-identical for identical inputs', () => {
    const input = {
      tree: 'c'.repeat(40) as never,
      author: megaIdent(10),
      committer: megaIdent(10),
      message: 'x\n',
    };
    expect(hashObject('commit', buildViewCommit(input))).toBe(
      hashObject('commit', buildViewCommit({ ...input })),
    );
    expect(buildViewCommit({ ...input, parent: 'd'.repeat(40) as never }).toString()).toMatch(
      /^tree c{40}\nparent d{40}\nauthor Mega <mega@mega.local> 10 \+0000\n/,
    );
  });
});

describe('push mapping', () => {
  it('maps a pushed directory tree onto each repository it touches', async () => {
    const { objects, reader } = memoryObjects();
    const foo = await commitOf(objects, { 'src/a.txt': 'a', 'README.md': 'foo' });
    const bar = await commitOf(objects, { 'bar.txt': 'bar' });
    const viewTree = await treeOf(objects, {
      'README.md': 'p',
      'foo/src/a.txt': 'a',
      'foo/README.md': 'foo',
      'bar/bar.txt': 'bar',
      'baz/z.txt': 'z',
    });
    const links = [
      { at: 'foo', repoPath: '/projects/foo', commit: foo, subdir: [] },
      { at: 'bar', repoPath: '/projects/bar', commit: bar, subdir: [] },
    ];
    const pushed = await treeOf(objects, {
      'README.md': 'p',
      'foo/src/a.txt': 'a2',
      'foo/README.md': 'foo',
      'bar/bar.txt': 'bar2',
      'bar/new.txt': 'n',
      'baz/z.txt': 'z',
    });
    const mapped = await mapPushOntoRepositories(reader, objects, viewTree, pushed, links);
    expect(mapped.map((change) => change.link.repoPath)).toEqual(['/projects/bar', '/projects/foo']);
    expect(await filesOf(reader, mapped[0]!.tree)).toEqual({ 'bar.txt': 'bar2', 'new.txt': 'n' });
    expect(await filesOf(reader, mapped[1]!.tree)).toEqual({ 'src/a.txt': 'a2', 'README.md': 'foo' });
  });

  it('maps a subdirectory view back into the repository', async () => {
    const { objects, reader } = memoryObjects();
    const foo = await commitOf(objects, { 'src/a.txt': 'a', 'README.md': 'foo' });
    const viewTree = await treeOf(objects, { 'a.txt': 'a' });
    const pushed = await treeOf(objects, { 'a.txt': 'a', 'b.txt': 'b' });
    const [change] = await mapPushOntoRepositories(reader, objects, viewTree, pushed, [
      { at: '', repoPath: '/projects/foo', commit: foo, subdir: ['src'] },
    ]);
    expect(await filesOf(reader, change!.tree)).toEqual({
      'src/a.txt': 'a',
      'src/b.txt': 'b',
      'README.md': 'foo',
    });
  });

  it('refuses changes outside repositories and removing a repository', async () => {
    const { objects, reader } = memoryObjects();
    const foo = await commitOf(objects, { 'a.txt': 'a' });
    const links = [{ at: 'foo', repoPath: '/projects/foo', commit: foo, subdir: [] }];
    const viewTree = await treeOf(objects, { 'README.md': 'p', 'foo/a.txt': 'a' });
    await expect(
      mapPushOntoRepositories(
        reader,
        objects,
        viewTree,
        await treeOf(objects, { 'README.md': 'q', 'foo/a.txt': 'a' }),
        links,
      ),
    ).rejects.toThrow(/README\.md is not inside a repository/);
    await expect(
      mapPushOntoRepositories(reader, objects, viewTree, await treeOf(objects, { 'README.md': 'p' }), links),
    ).rejects.toThrow(/cannot remove or replace repository \/projects\/foo/);
    await expect(
      mapPushOntoRepositories(
        reader,
        objects,
        viewTree,
        await treeOf(objects, { 'README.md': 'p', foo: 'file now' }),
        links,
      ),
    ).rejects.toThrow(/cannot remove or replace/);
  });
});
