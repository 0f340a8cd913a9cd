import { describe, expect, it } from 'vitest';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { rowOfHint, sizeClassOfHint, storedObjectHint } from '../storage/pack-ready.js';
import { sizeClassAtLeast, sizeClassOf } from '../storage/size-class.js';
import { FileMode, serializeTree, type TreeEntry } from '../git/tree.js';
import { filterRecordedWalk } from './record-filters.js';
import { filterRecordView } from './record-views.js';
import type { ObjectSource, RecordView, WalkedObject } from './served-repository.js';

/** Objects are named by one letter or digit; an id repeats a hex digit of its own. */
const NAMES = '12gRSQTEabxym';
const id = (name: string) => (NAMES.indexOf(name) + 1).toString(16).repeat(40) as ObjectId;
const names = (list: readonly WalkedObject[] | undefined) =>
  list?.map((object) => NAMES[parseInt(object.id[0] as string, 16) - 1]).join('');
const entry = (mode: string, name: string, c: string): TreeEntry => ({ mode, name, id: id(c) });

/*
 * Commits 1 and 2 with root trees R and Q; tag g names the tree E (wanted: a ref tip peels to it).
 *   R: a (blob), S/ (tree), m (gitlink, not in any pack)    S: b (blob), T/ (tree)
 *   Q: T/ (the same tree, one level higher)                 T: x (blob)
 *   E: y (blob)
 * T is at depth 1 through Q (2 through R/S), so x is at depth 2.
 */
const trees = new Map<ObjectId, Buffer>([
  [
    id('R'),
    serializeTree([
      entry(FileMode.tree, 'S', 'S'),
      entry(FileMode.blob, 'a', 'a'),
      entry(FileMode.gitlink, 'm', 'm'),
    ]),
  ],
  [id('S'), serializeTree([entry(FileMode.tree, 'T', 'T'), entry(FileMode.blob, 'b', 'b')])],
  [id('Q'), serializeTree([entry(FileMode.tree, 'T', 'T')])],
  [id('T'), serializeTree([entry(FileMode.blob, 'x', 'x')])],
  [id('E'), serializeTree([entry(FileMode.blob, 'y', 'y')])],
]);
const commits = new Map<ObjectId, CommitSummary>([
  [id('1'), { id: id('1'), tree: id('R'), parents: [], committerTime: 1 }],
  [id('2'), { id: id('2'), tree: id('Q'), parents: [id('1')], committerTime: 2 }],
]);
const sizes = new Map([...'abxy'].map((c, index) => [id(c), index * 10]));
const typed = (type: WalkedObject['type']) => (c: string) => ({ id: id(c), type });
const record: WalkedObject[] = [
  ...['2', '1'].map(typed('commit')),
  typed('tag')('g'),
  ...['Q', 'R', 'E', 'S', 'T'].map(typed('tree')),
  ...['y', 'a', 'b', 'x'].map(typed('blob')),
];
const explicit = new Set([id('2'), id('g'), id('E')]);

/** Reads what the trees, commits and sizes above hold; counts the trees read. */
function source(reads: ObjectId[] = []): ObjectSource {
  return {
    readCommits: async (ids: readonly ObjectId[]) =>
      new Map(
        ids.flatMap((commit) => (commits.has(commit) ? [[commit, commits.get(commit)!] as const] : [])),
      ),
    async *readObjects(ids: readonly ObjectId[]) {
      for (const tree of ids) {
        reads.push(tree);
        const content = trees.get(tree);
        if (content) yield { id: tree, type: 'tree' as const, content };
      }
    },
    sizesAtLeast: async (objects: ReadonlyArray<{ id: ObjectId }>, limit: number) =>
      new Set(objects.filter((object) => (sizes.get(object.id) ?? 0) >= limit).map((object) => object.id)),
  } as unknown as ObjectSource;
}

describe('filterRecordedWalk', () => {
  it('keeps the trees and blobs above the depth of tree:<n>, each at its least depth, reading only the trees above it', async () => {
    const reads: ObjectId[] = [];
    expect(names(await filterRecordedWalk(source(reads), record, explicit, { kind: 'tree', depth: 0 }))).toBe(
      '21gE',
    );
    expect(names(await filterRecordedWalk(source(reads), record, explicit, { kind: 'tree', depth: 1 }))).toBe(
      '21gQRE',
    );
    // tree:0 and tree:1 read no tree at all.
    expect(reads).toEqual([]);
    expect(names(await filterRecordedWalk(source(reads), record, explicit, { kind: 'tree', depth: 2 }))).toBe(
      '21gQRESTya',
    );
    expect(new Set(reads)).toEqual(new Set(['Q', 'R', 'E'].map(id)));
    expect(names(await filterRecordedWalk(source(), record, explicit, { kind: 'tree', depth: 3 }))).toBe(
      '21gQRESTyabx',
    );
    expect(names(await filterRecordedWalk(source(), record, explicit, { kind: 'tree', depth: 9 }))).toBe(
      names(record),
    );
  });

  it('drops the blobs of blob:limit at or above the limit by their sizes, keeping wanted ones', async () => {
    // Sizes: a 0, b 10, x 20, y 30.
    const limit = (n: number) =>
      filterRecordedWalk(source(), record, explicit, { kind: 'blob:limit', limit: n });
    expect(names(await limit(10))).toBe('21gQRESTa');
    expect(names(await limit(21))).toBe('21gQRESTabx');
    expect(names(await limit(0))).toBe('21gQREST');
    const wantedBlob = new Set([...explicit, id('y')]);
    expect(
      names(await filterRecordedWalk(source(), record, wantedBlob, { kind: 'blob:limit', limit: 10 })),
    ).toBe('21gQRESTya');
  });

  it('drops blobs, or trees and blobs, by type for blob:none and tree:0', async () => {
    expect(names(await filterRecordedWalk(source(), record, explicit, { kind: 'blob:none' }))).toBe(
      '21gQREST',
    );
  });

  it('gives up when the source cannot say: a commit or tree it does not hold', async () => {
    const unknownCommit = [{ id: id('3'), type: 'commit' as const }, ...record];
    expect(
      await filterRecordedWalk(source(), unknownCommit, explicit, { kind: 'tree', depth: 1 }),
    ).toBeUndefined();
    const missingTree = [...record, { id: id('m'), type: 'tree' as const }];
    const wantsMissing = new Set([...explicit, id('m')]);
    expect(
      await filterRecordedWalk(source(), missingTree, wantsMissing, { kind: 'tree', depth: 2 }),
    ).toBeUndefined();
  });
});

/**
 * `list` as a stored walk shows it: raw ids and row keys (an object's `hint`), decoded only when
 * picked (counted in `decoded`); sizes by row key from `sizes`.
 */
function viewOf(
  list: readonly WalkedObject[],
  decoded: WalkedObject[] = [],
  asked: number[] = [],
): RecordView {
  return {
    rawLength: 20,
    pick: (keep) =>
      list.filter((object) => {
        const raw = Buffer.concat([Buffer.from('ffff', 'hex'), Buffer.from(object.id, 'hex')]);
        const hint = object.hint;
        const kept = keep(
          object.type,
          raw,
          2,
          hint === undefined ? 0 : rowOfHint(hint),
          hint === undefined ? 0 : sizeClassOfHint(hint),
        );
        if (kept) decoded.push(object);
        return kept;
      }),
    sizeClassAtLeast,
    rowsSizedAtLeast: async (rows, limit) =>
      new Set(
        rows.filter((row) => {
          asked.push(row);
          const object = list.find(
            (candidate) => candidate.hint !== undefined && rowOfHint(candidate.hint) === row,
          );
          return object !== undefined && (sizes.get(object.id) ?? 0) >= limit;
        }),
      ),
  };
}

describe('filterRecordView', () => {
  it('keeps what filterRecordedWalk keeps for tree:<n> and blob:none, decoding only that and the commits', async () => {
    for (const filter of [
      { kind: 'blob:none' as const },
      ...[0, 1, 2, 3, 9].map((depth) => ({ kind: 'tree' as const, depth })),
    ]) {
      const decoded: WalkedObject[] = [];
      const fromView = await filterRecordView(source(), viewOf(record, decoded), explicit, filter);
      expect(names(fromView)).toBe(names(await filterRecordedWalk(source(), record, explicit, filter)));
      const extra = decoded.filter((object) => object.type !== 'commit' && !fromView?.includes(object));
      expect(names(extra)).toBe('');
    }
    // tree:1 reads no tree.
    const reads: ObjectId[] = [];
    await filterRecordView(source(reads), viewOf(record), explicit, { kind: 'tree', depth: 1 });
    expect(reads).toEqual([]);
  });

  it('keeps what filterRecordedWalk keeps for blob:limit, by row key where the walk has one, decoding no blob it drops', async () => {
    // a and x have row keys, b and y do not.
    const keyed = record.map((object, index) =>
      object.id === id('a') || object.id === id('x')
        ? { ...object, hint: storedObjectHint(100 + index) }
        : object,
    );
    const wantedBlob = new Set([...explicit, id('y')]);
    for (const wants of [explicit, wantedBlob]) {
      for (const limit of [0, 10, 21, 1000]) {
        const filter = { kind: 'blob:limit' as const, limit };
        const decoded: WalkedObject[] = [];
        const fromView = await filterRecordView(source(), viewOf(keyed, decoded), wants, filter);
        expect(names(fromView)).toBe(names(await filterRecordedWalk(source(), record, wants, filter)));
        // Dropped blobs decoded: only those without a row key, asked by id.
        const extra = decoded.filter((object) => !fromView?.includes(object));
        expect(extra.every((object) => object.hint === undefined && object.type === 'blob')).toBe(true);
      }
    }
  });

  it('drops blobs by the size class recorded with them, asking only those whose class straddles the limit', async () => {
    // Every blob keyed, with its class (sizes: a 0, b 10, x 20, y 30); the last blob without one.
    const classed = record.map((object, index) =>
      object.type === 'blob'
        ? {
            ...object,
            hint: storedObjectHint(
              100 + index,
              object.id === id('y') ? 0 : sizeClassOf(sizes.get(object.id) ?? 0),
            ),
          }
        : object,
    );
    const wantedBlob = new Set([...explicit, id('y')]);
    for (const wants of [explicit, wantedBlob]) {
      for (const limit of [0, 1, 8, 10, 16, 21, 32, 1000]) {
        const filter = { kind: 'blob:limit' as const, limit };
        const asked: number[] = [];
        const fromView = await filterRecordView(source(), viewOf(classed, [], asked), wants, filter);
        expect(names(fromView)).toBe(names(await filterRecordedWalk(source(), record, wants, filter)));
        // Asked: y (no class, unless wanted) and the blobs whose class holds sizes on both sides.
        const straddling = classed.filter(
          (object) =>
            object.type === 'blob' &&
            !wants.has(object.id) &&
            (object.id === id('y') || sizeClassAtLeast(sizeClassOfHint(object.hint!), limit) === undefined),
        );
        expect(asked.sort()).toEqual(straddling.map((object) => rowOfHint(object.hint!)).sort());
      }
    }
  });

  it('gives up where the source cannot say', async () => {
    const unknownCommit = viewOf([{ id: id('3'), type: 'commit' }, ...record]);
    expect(
      await filterRecordView(source(), unknownCommit, explicit, { kind: 'tree', depth: 1 }),
    ).toBeUndefined();
    const missingTree = viewOf([...record, { id: id('m'), type: 'tree' }]);
    const wantsMissing = new Set([...explicit, id('m')]);
    expect(
      await filterRecordView(source(), missingTree, wantsMissing, { kind: 'tree', depth: 2 }),
    ).toBeUndefined();
  });

  it('gives up on a damaged stored walk (an unknown type code)', async () => {
    const damaged: RecordView = { ...viewOf(record), pick: () => undefined };
    for (const filter of [
      { kind: 'blob:none' as const },
      { kind: 'tree' as const, depth: 1 },
      { kind: 'blob:limit' as const, limit: 10 },
    ]) {
      expect(await filterRecordView(source(), damaged, explicit, filter)).toBeUndefined();
    }
  });

  it('ignores wanted ids of another id format', async () => {
    const wide = new Set([...explicit, 'a'.repeat(64) as ObjectId]);
    expect(names(await filterRecordView(source(), viewOf(record), wide, { kind: 'tree', depth: 1 }))).toBe(
      '21gQRE',
    );
  });
});
