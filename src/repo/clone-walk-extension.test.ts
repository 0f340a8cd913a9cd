import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCommit } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import { extendRecordedWalk } from './clone-walk-extension.js';
import { CommitCache } from './common-commits.js';
import { walkObjects } from './object-walk.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';
import { completeObjectSource } from './single-read-objects.js';

/** An in-memory repository that counts tree reads (the cost extending saves). */
class Objects {
  private readonly stored = new Map<ObjectId, { type: ObjectType; content: Buffer }>();
  treeReads = 0;
  readonly source: ObjectSource = completeObjectSource({
    hasObjects: async (ids) => new Set(ids.filter((id) => this.stored.has(id))),
    readObject: async (id) => {
      const object = this.stored.get(id);
      if (object?.type === 'tree') this.treeReads++;
      return object;
    },
    readCommit: async (id) => {
      const object = this.stored.get(id);
      if (object?.type !== 'commit') return undefined;
      const commit = parseCommit(object.content);
      return { id, tree: commit.tree, parents: commit.parents, committerTime: 1_700_000_000 };
    },
  });

  add(type: ObjectType, content: Buffer | string): ObjectId {
    const bytes = Buffer.from(content);
    const hash = createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes);
    const id = hash.digest('hex') as ObjectId;
    this.stored.set(id, { type, content: bytes });
    return id;
  }

  tree(entries: ReadonlyArray<readonly [mode: string, name: string, id: ObjectId]>): ObjectId {
    const parts = entries.map(([mode, name, id]) =>
      Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')]),
    );
    return this.add('tree', Buffer.concat(parts));
  }

  /** A commit of `files` under `dir/` plus an untouched `lib/` tree, on `parents`. */
  commit(files: Record<string, string>, parents: readonly ObjectId[], lib: ObjectId): ObjectId {
    const blobs = Object.entries(files).map(
      ([name, text]) => ['100644', name, this.add('blob', text)] as const,
    );
    const root = this.tree([
      ['40000', 'dir', this.tree(blobs)],
      ['40000', 'lib', lib],
    ]);
    const ident = 'A <a@example.com> 1700000000 +0000';
    const parentLines = parents.map((parent) => `parent ${parent}\n`).join('');
    return this.add('commit', `tree ${root}\n${parentLines}author ${ident}\ncommitter ${ident}\n\nc\n`);
  }
}

async function fullWalk(source: ObjectSource, wants: readonly ObjectId[]): Promise<WalkedObject[]> {
  const walk = await walkObjects(source, new CommitCache(source), { wants, haves: [], boundary: new Set() });
  return [...walk.objects];
}

const ids = (objects: readonly WalkedObject[]) => new Set(objects.map((object) => object.id));

/**
 * The recorded walk with what extending it appends, or undefined when appending does not give
 * the new walk (some previous want is no longer reached).
 */
async function extend(
  source: ObjectSource,
  recorded: readonly WalkedObject[],
  before: readonly ObjectId[],
  after: readonly ObjectId[],
): Promise<WalkedObject[] | undefined> {
  const held = ids(recorded);
  const view = { among: (wanted: readonly ObjectId[]) => new Set(wanted.filter((id) => held.has(id))) };
  const extension = await extendRecordedWalk(source, view, before, after);
  return extension?.reachesAll ? [...recorded, ...extension.appended] : undefined;
}

describe('extendRecordedWalk', () => {
  /** Three commits on main (`first`..`third`), a side branch at `first`, and `lib/` of 50 trees. */
  const history = () => {
    const objects = new Objects();
    let lib = objects.tree([['100644', 'base.txt', objects.add('blob', 'base\n')]]);
    for (let i = 0; i < 50; i++) lib = objects.tree([['40000', `level${i}`, lib]]);
    const first = objects.commit({ 'a.txt': 'one\n' }, [], lib);
    const second = objects.commit({ 'a.txt': 'two\n' }, [first], lib);
    const third = objects.commit({ 'a.txt': 'two\n', 'b.txt': 'new\n' }, [second], lib);
    return { objects, lib, first, second, third };
  };

  it('gives exactly the full walk after a fast-forward, without walking the whole repository', async () => {
    const { objects, first, second, third } = history();
    const before = [second, first];
    const recorded = await fullWalk(objects.source, before);
    objects.treeReads = 0;
    const extended = await extend(objects.source, recorded, before, [third, first]);
    const extendReads = objects.treeReads;
    const expected = await fullWalk(objects.source, [third, first]);
    expect(extended).toBeDefined();
    expect(ids(extended ?? [])).toEqual(ids(expected));
    expect(extended).toHaveLength(expected.length);
    // The recorded part comes first, unchanged.
    expect(extended?.slice(0, recorded.length)).toEqual(recorded);
    // Two root trees and two dir trees: not lib's 51 trees.
    expect(extendReads).toBeLessThan(10);
  });

  it('adds a new ref pointing into the recorded history without walking it again', async () => {
    const { objects, first, second } = history();
    const recorded = await fullWalk(objects.source, [second]);
    const extended = await extend(objects.source, recorded, [second], [second, first]);
    expect(extended).toEqual(recorded);
  });

  it('adds an annotated tag on a new commit', async () => {
    const { objects, second, third } = history();
    const tag = objects.add(
      'tag',
      `object ${third}\ntype commit\ntag v3\ntagger A <a@example.com> 0 +0000\n\nv3\n`,
    );
    const recorded = await fullWalk(objects.source, [second]);
    const extended = await extend(objects.source, recorded, [second], [second, tag]);
    expect(ids(extended ?? [])).toEqual(ids(await fullWalk(objects.source, [second, tag])));
  });

  it('does not record twice an object the recorded walk holds under another path', async () => {
    const { objects, lib, first, second } = history();
    const recorded = await fullWalk(objects.source, [second]);
    // `a.txt` back to the first commit's content, and lib/ copied to a new path: both recorded.
    const fourth = objects.commit({ 'a.txt': 'one\n', 'copy.txt': 'base\n' }, [second], lib);
    const extended = await extend(objects.source, recorded, [second], [fourth]);
    const expected = await fullWalk(objects.source, [fourth, first]);
    expect(extended).toHaveLength(expected.length);
    expect(ids(extended ?? [])).toEqual(ids(expected));
  });

  it('keeps the recorded walk when a merged branch is deleted, without walking trees', async () => {
    const { objects, first, second, third } = history();
    // `feature` at `second` was merged into main (`third` descends from it), then deleted.
    const recorded = await fullWalk(objects.source, [third, second]);
    objects.treeReads = 0;
    const extended = await extend(objects.source, recorded, [third, second], [third]);
    expect(objects.treeReads).toBe(0);
    expect(extended).toEqual(recorded);
    expect(ids(extended ?? [])).toEqual(ids(await fullWalk(objects.source, [third, first])));
  });

  it('extends the walk when main moves on and its merged branch is deleted in one push', async () => {
    const { objects, lib, second, third } = history();
    const fourth = objects.commit({ 'a.txt': 'four\n', 'b.txt': 'new\n' }, [third], lib);
    const recorded = await fullWalk(objects.source, [third, second]);
    const extended = await extend(objects.source, recorded, [third, second], [fourth]);
    const expected = await fullWalk(objects.source, [fourth]);
    expect(extended).toHaveLength(expected.length);
    expect(ids(extended ?? [])).toEqual(ids(expected));
  });

  it('says appending does not do when an unmerged branch or an annotated tag is deleted', async () => {
    const { objects, lib, first, third } = history();
    const side = objects.commit({ 'side.txt': 'only here\n' }, [first], lib);
    const recordedSide = await fullWalk(objects.source, [third, side]);
    expect(await extend(objects.source, recordedSide, [third, side], [third])).toBeUndefined();
    const tag = objects.add(
      'tag',
      `object ${first}\ntype commit\ntag v1\ntagger A <a@example.com> 0 +0000\n\nv1\n`,
    );
    const recordedTag = await fullWalk(objects.source, [third, tag]);
    expect(await extend(objects.source, recordedTag, [third, tag], [third])).toBeUndefined();
  });

  it.each([
    ['a branch rewound', (h: ReturnType<typeof history>) => [h.first]],
    ['a branch deleted', (h: ReturnType<typeof history>) => [h.third].slice(1)],
    [
      'a branch rewritten',
      (h: ReturnType<typeof history>) => [h.objects.commit({ 'c.txt': 'x\n' }, [h.first], h.lib)],
    ],
  ])(
    'says appending does not do when the previous walk would send what no ref reaches: %s',
    async (_name, after) => {
      const h = history();
      const recorded = await fullWalk(h.objects.source, [h.third]);
      expect(await extend(h.objects.source, recorded, [h.third], after(h))).toBeUndefined();
    },
  );
});
