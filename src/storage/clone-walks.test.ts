import { createHash } from 'node:crypto';
import { beforeAll, expect, it, vi } from 'vitest';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import { SHA1, SHA256 } from '../git/object-format.js';
import { ObjectGraph } from '../git/object-graph.js';
import { WALKS_KEPT_PER_REPOSITORY, type WalkedEntry } from './clone-walks.js';
import { rowOfHint, sizeClassOfHint, storedObjectHint } from './pack-ready.js';
import { sizeClassOf } from './size-class.js';
import type { Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';

const TYPES: readonly ObjectType[] = ['commit', 'tree', 'blob', 'tag'];

/** `count` made-up entries with distinct ids of `hexLength` characters. */
function entries(count: number, hexLength = 40, seed = 'walk'): WalkedEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    id: createHash('sha256').update(`${seed} ${index}`).digest('hex').slice(0, hexLength) as ObjectId,
    type: TYPES[index % TYPES.length] as ObjectType,
  }));
}

/** An extension that carries no tip bitmaps. */
const NO_TIPS = { kept: [], derived: new Map() };

/** A bitmap of `count` bits with `positions` set. */
function bitsOf(count: number, positions: readonly number[]): Uint8Array {
  const bits = new Uint8Array((count + 7) >> 3);
  for (const at of positions) bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
  return bits;
}

const idsAndTypes = (list: readonly WalkedEntry[] | undefined) => list?.map(({ id, type }) => ({ id, type }));

describeEachDialect('clone walks', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 1 << 20);
  });
  const newRepo = () => storage.repositories.create({ path: `/import/walks-${++counter}`, kind: 'import' });

  it('records a walk and finds it by key, in order, with the row of each stored object', async () => {
    const repo = await newRepo();
    const [stored] = await storage.writeObjects(repo.id, [{ type: 'blob', data: Buffer.from('walked\n') }]);
    const list = [{ id: stored as ObjectId, type: 'blob' as const }, ...entries(5)];
    await storage.cloneWalks.save(repo.id, 'k'.repeat(64), list);

    const found = await storage.cloneWalks.find(repo.id, 'k'.repeat(64));
    expect(idsAndTypes(found)).toEqual(list);
    const row = await getDb()
      .database.db.selectFrom('raw_objects')
      .select('id')
      .where('git_id', '=', stored as string)
      .executeTakeFirstOrThrow();
    expect(found?.[0]?.hint).toBe(storedObjectHint(Number(row.id), sizeClassOf('walked\n'.length)));
    // Ids with no stored row are recorded without one.
    expect(found?.slice(1).every((entry) => entry.hint === undefined)).toBe(true);
    expect(await storage.cloneWalks.find(repo.id, 'x'.repeat(64))).toBeUndefined();
    const other = await newRepo();
    expect(await storage.cloneWalks.find(other.id, 'k'.repeat(64))).toBeUndefined();
  });

  it('gives a whole repository walk the rows of the objects the repository holds (a membership scan)', async () => {
    const repo = await newRepo();
    const other = await newRepo();
    const held = await storage.writeObjects(
      repo.id,
      ['one', 'two', 'three'].map((text) => ({ type: 'blob' as const, data: Buffer.from(`${text}\n`) })),
    );
    const [elsewhere] = await storage.writeObjects(other.id, [
      { type: 'blob', data: Buffer.from('other\n') },
    ]);
    // Past the scan's threshold, with the held objects among made-up ids, and one object the
    // repository does not hold (stored for another one): no row for that one.
    const list = [
      ...held.map((id) => ({ id: id as ObjectId, type: 'blob' as const })),
      { id: elsewhere as ObjectId, type: 'blob' as const },
      ...entries(30_000, 40, 'scan'),
    ];
    await storage.cloneWalks.save(repo.id, 'w'.repeat(64), list);
    const found = await storage.cloneWalks.find(repo.id, 'w'.repeat(64));
    expect(idsAndTypes(found)).toEqual(list);
    const rows = await getDb()
      .database.db.selectFrom('raw_objects')
      .select(['id', 'git_id'])
      .where('git_id', 'in', held as string[])
      .execute();
    const rowOf = new Map(rows.map((row) => [row.git_id, Number(row.id)]));
    // Each with its row and its size's class ('one\n' 4 bytes, 'three\n' 6).
    expect(found?.slice(0, 3).map((entry) => entry.hint)).toEqual(
      held.map((id, index) => storedObjectHint(rowOf.get(id)!, sizeClassOf([4, 4, 6][index]!))),
    );
    expect(found?.slice(3).every((entry) => entry.hint === undefined)).toBe(true);
  });

  it("gives a push graph's objects the rows of those the repository holds, shared ones included", async () => {
    const repo = await newRepo();
    const other = await newRepo();
    const blob = (text: string) => ({ type: 'blob' as const, data: Buffer.from(`${text}\n`) });
    // Stored for another repository first: this one's write links the existing rows.
    const [shared] = await storage.writeObjects(other.id, [blob('shared')]);
    const [elsewhere] = await storage.writeObjects(other.id, [blob('elsewhere')]);
    const held = await storage.writeObjects(repo.id, [blob('shared'), blob('own one'), blob('own two')]);
    expect(held[0]).toBe(shared);
    const graph = new ObjectGraph(SHA1);
    const absent = 'e'.repeat(40) as ObjectId;
    for (const id of [absent, elsewhere, ...held] as ObjectId[]) graph.add(id, 'blob', Buffer.alloc(0));

    const hintOf = await storage.cloneWalks.graphRowKeys(repo.id, graph);
    const rows = await getDb()
      .database.db.selectFrom('raw_objects')
      .select(['id', 'git_id'])
      .where('git_id', 'in', held as string[])
      .execute();
    // Rows and size classes ('shared\n' 7 bytes, 'own one\n' and 'own two\n' 8).
    expect(held.map((id) => hintOf(graph.find(id as ObjectId)))).toEqual(
      held.map((id, index) =>
        storedObjectHint(Number(rows.find((row) => row.git_id === id)?.id), sizeClassOf([7, 8, 8][index]!)),
      ),
    );
    expect(hintOf(graph.find(absent))).toBeUndefined();
    expect(hintOf(graph.find(elsewhere as ObjectId))).toBeUndefined();
    // A SHA-256 repository and its graph.
    const repo256 = await newRepo();
    const [long] = (await storage.writeObjects(repo256.id, [blob('sha-256')], SHA256)) as ObjectId[];
    const graph256 = new ObjectGraph(SHA256);
    graph256.add(long as ObjectId, 'blob', Buffer.alloc(0));
    const [row256] = await getDb()
      .database.db.selectFrom('raw_objects')
      .select('id')
      .where('git_id', '=', long as string)
      .execute();
    const hint256 = (await storage.cloneWalks.graphRowKeys(repo256.id, graph256))(graph256.find(long!));
    expect(hint256 && rowOfHint(hint256)).toBe(Number(row256?.id));
  });

  it("takes a push graph's row keys from the push's inserts first, the rest from storage", async () => {
    const repo = await newRepo();
    const other = await newRepo();
    const blob = (text: string) => ({ type: 'blob' as const, data: Buffer.from(`${text}\n`) });
    const [shared] = await storage.writeObjects(other.id, [blob('carried shared')]);
    const held = await storage.writeObjects(repo.id, [blob('carried shared'), blob('carried own')]);
    const graph = new ObjectGraph(SHA1);
    const absent = 'd'.repeat(40) as ObjectId;
    for (const id of [...held, absent] as ObjectId[]) graph.add(id, 'blob', Buffer.alloc(0));
    // The push inserted the row of its own object (a key storage never gave: it must be taken
    // as told, with no statement over it), not the shared one's.
    const own = Buffer.from(held[1]!, 'hex');
    const isOwn = (data: Uint8Array, offset: number) =>
      Buffer.compare(own, data.subarray(offset, offset + own.length)) === 0;
    const written = {
      rowKeyOf: (data: Uint8Array, offset: number) => (isOwn(data, offset) ? 987_654 : 0),
      sizeClassOf: (data: Uint8Array, offset: number) => (isOwn(data, offset) ? 5 : 0),
    };
    const hintOf = await storage.cloneWalks.graphRowKeys(repo.id, graph, written);
    const [sharedRow] = await getDb()
      .database.db.selectFrom('raw_objects')
      .select('id')
      .where('git_id', '=', shared!)
      .execute();
    expect(hintOf(graph.find(held[1] as ObjectId))).toBe(storedObjectHint(987_654, 5));
    const sharedHint = hintOf(graph.find(shared as ObjectId));
    expect(sharedHint && rowOfHint(sharedHint)).toBe(Number(sharedRow?.id));
    expect(sharedHint && sizeClassOfHint(sharedHint)).toBe(sizeClassOf('carried shared\n'.length));
    expect(hintOf(graph.find(absent))).toBeUndefined();
  });

  it('keeps lists larger than one part, and SHA-256 ids', async () => {
    const repo = await newRepo();
    const large = entries(60_000);
    await storage.cloneWalks.save(repo.id, 'l'.repeat(64), large);
    const parts = await getDb()
      .database.db.selectFrom('clone_walk_parts')
      .select('seq')
      .innerJoin('clone_walks', 'clone_walks.id', 'clone_walk_parts.walk_id')
      .where('clone_walks.repo_id', '=', repo.id)
      .execute();
    expect(parts.length).toBeGreaterThan(1);
    expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 'l'.repeat(64)))).toEqual(large);

    const sha256 = entries(10, 64);
    await storage.cloneWalks.save(repo.id, 's'.repeat(64), sha256);
    expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 's'.repeat(64)))).toEqual(sha256);
    expect(await storage.cloneWalks.find(repo.id, 'l'.repeat(64))).toHaveLength(60_000);
  });

  it('lets the event loop turn while a walk and its tip bitmaps are encoded, never showing half of it', async () => {
    // A clone streams beside the recorder's save: the encoding gives it turns, outside the
    // transaction (no turns inside it), and what a turn reads is no walk or all of it.
    const repo = await newRepo();
    const list = entries(60_000, 40, 'turns');
    const tips = new Map(
      entries(8, 40, 'turn tips').map((tip, index) => [tip.id, bitsOf(list.length, [index, 30_000 + index])]),
    );
    let saved = false;
    const saving = storage.cloneWalks.save(repo.id, 'v'.repeat(64), list, tips).then(() => (saved = true));
    let turns = 0;
    const seen: Array<number | undefined> = [];
    while (!saved) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns++;
      if (turns % 4 === 0) seen.push((await storage.cloneWalks.find(repo.id, 'v'.repeat(64)))?.length);
    }
    await saving;
    // Two parts and eight tips encoded, a turn after each.
    expect(turns).toBeGreaterThanOrEqual(10);
    expect(seen.every((length) => length === undefined || length === list.length)).toBe(true);
    expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 'v'.repeat(64)))).toEqual(list);
    const [tip] = tips.keys();
    const reached = await storage.cloneWalks.reachableFrom(repo.id, [tip!]);
    expect(reached?.map((entry) => entry.id)).toEqual([list[0]!.id, list[30_000]!.id]);
  });

  it('extends a walk by copying its parts, without decoding them', async () => {
    const repo = await newRepo();
    const [stored] = await storage.writeObjects(repo.id, [{ type: 'blob', data: Buffer.from('new\n') }]);
    const base = entries(60_000, 40, 'base');
    await storage.cloneWalks.save(repo.id, 'b'.repeat(64), base);
    expect(await storage.cloneWalks.has(repo.id, 'b'.repeat(64))).toBe(true);
    expect(await storage.cloneWalks.has(repo.id, 'e'.repeat(64))).toBe(false);
    const bytes = await storage.cloneWalks.findBytes(repo.id, 'b'.repeat(64));
    expect(bytes?.objectCount).toBe(60_000);
    expect(bytes?.partCount).toBeGreaterThan(1);
    const probe = [base[0], base[59_999], ...entries(3, 40, 'absent')].map((entry) => entry?.id as ObjectId);
    expect(bytes?.among(probe)).toEqual(new Set([base[0]?.id, base[59_999]?.id]));
    expect(bytes?.positions(probe)).toEqual(
      new Map([
        [base[0]?.id, 0],
        [base[59_999]?.id, 59_999],
      ]),
    );

    const appended = [{ id: stored as ObjectId, type: 'blob' as const }, ...entries(2, 40, 'more')];
    expect(await storage.cloneWalks.saveExtension(repo.id, 'e'.repeat(64), bytes!, appended, NO_TIPS)).toBe(
      true,
    );
    const found = await storage.cloneWalks.find(repo.id, 'e'.repeat(64));
    expect(idsAndTypes(found)).toEqual([...base, ...appended]);
    // The appended entries get their rows like a saved walk's.
    expect(found?.[60_000]?.hint).toBeGreaterThan(0);
    // The walk extended is still there.
    expect(await storage.cloneWalks.find(repo.id, 'b'.repeat(64))).toHaveLength(60_000);
    // Ids of another format are refused, not mixed into the walk.
    await expect(
      storage.cloneWalks.saveExtension(repo.id, 'm'.repeat(64), bytes!, entries(1, 64), NO_TIPS),
    ).rejects.toThrow(/mixes object id formats/);
  });

  it('decodes only the entries a pick keeps, in order, with their rows, across parts and in SHA-256', async () => {
    const repo = await newRepo();
    const [stored] = await storage.writeObjects(repo.id, [{ type: 'blob', data: Buffer.from('picked\n') }]);
    const list = [...entries(60_000, 40, 'pick'), { id: stored as ObjectId, type: 'blob' as const }];
    await storage.cloneWalks.save(repo.id, 'p'.repeat(64), list);
    const bytes = await storage.cloneWalks.findBytes(repo.id, 'p'.repeat(64));
    expect(bytes?.partCount).toBeGreaterThan(1);
    const seen: string[] = [];
    const trees = bytes?.pick((type, data, offset) => {
      seen.push(Buffer.from(data.subarray(offset, offset + 20)).toString('hex'));
      return type === 'tree';
    });
    // Every entry shown once, its raw id at the offset given.
    expect(seen).toEqual(list.map((entry) => entry.id));
    expect(idsAndTypes(trees)).toEqual(list.filter((entry) => entry.type === 'tree'));
    const last = bytes?.pick((_type, data, offset) => data[offset] === Buffer.from(stored!, 'hex')[0]);
    expect(last?.find((entry) => entry.id === stored)?.hint).toBeGreaterThan(0);
    const sha256 = entries(9, 64);
    await storage.cloneWalks.save(repo.id, 'q'.repeat(64), sha256);
    const wide = await storage.cloneWalks.findBytes(repo.id, 'q'.repeat(64));
    expect(wide?.rawLength).toBe(32);
    expect(idsAndTypes(wide?.pick((type) => type !== 'blob'))).toEqual(
      sha256.filter((entry) => entry.type !== 'blob'),
    );
  });

  it('picks entries as raw ids that decode to what pick decodes, across parts and in SHA-256', async () => {
    const repo = await newRepo();
    const [stored] = await storage.writeObjects(repo.id, [{ type: 'blob', data: Buffer.from('raw\n') }]);
    const list = [...entries(60_000, 40, 'raw'), { id: stored as ObjectId, type: 'blob' as const }];
    const tip = entries(1, 40, 'raw tip')[0]!.id;
    const bits = bitsOf(list.length, [0, 2, 39_999, 40_000, 60_000]);
    await storage.cloneWalks.save(repo.id, 'r'.repeat(64), list, new Map([[tip, bits]]));
    const bytes = (await storage.cloneWalks.findBytes(repo.id, 'r'.repeat(64)))!;
    expect(bytes.partCount).toBeGreaterThan(1);
    for (const keep of [() => true, (type: string) => type === 'tree', () => false]) {
      const picked = bytes.pickEntries(keep)!;
      const decoded = bytes.pick(keep)!;
      expect(picked.count).toBe(decoded.length);
      expect(picked.rawIds().toString('hex')).toBe(decoded.map((entry) => entry.id).join(''));
      expect(picked.objects()).toEqual(decoded);
    }
    // The row key and size class come back as the entry's hint; `among` answers by raw id.
    const all = bytes.pickEntries(() => true)!;
    expect(all.objects()[60_000]?.hint).toBeGreaterThan(0);
    const absent = entries(1, 40, 'not picked')[0]!.id;
    expect(all.among([list[59_999]!.id, stored as ObjectId, absent])).toEqual(
      new Set([list[59_999]!.id, stored]),
    );
    // The tips' selection, picked: the same entries as reachableFrom's, in order.
    const reached = await storage.cloneWalks.reachableEntries(repo.id, [tip]);
    expect(reached?.objects()).toEqual(await storage.cloneWalks.reachableFrom(repo.id, [tip]));
    expect(reached?.rawIds().toString('hex')).toBe(
      [0, 2, 39_999, 40_000, 60_000].map((i) => list[i]!.id).join(''),
    );
    const sha256 = entries(9, 64);
    await storage.cloneWalks.save(repo.id, 's'.repeat(64), sha256);
    const wide = (await storage.cloneWalks.findBytes(repo.id, 's'.repeat(64)))!.pickEntries(
      (type) => type !== 'blob',
    )!;
    expect(wide.rawLength).toBe(32);
    expect(idsAndTypes(wide.objects())).toEqual(sha256.filter((entry) => entry.type !== 'blob'));
  });

  it('keeps a tip pick; a walk recorded again under another key is picked again', async () => {
    const repo = await newRepo();
    const list = entries(50, 40, 'kept pick');
    const tip = entries(1, 40, 'kept tip')[0]!.id;
    await storage.cloneWalks.save(repo.id, 'p'.repeat(64), list, new Map([[tip, bitsOf(50, [1, 3, 49])]]));
    const first = (await storage.cloneWalks.reachableEntries(repo.id, [tip]))!;
    const second = (await storage.cloneWalks.reachableEntries(repo.id, [tip, tip]))!;
    // One buffer of raw ids (a cut out of a cached pack is kept by it), each its own decoding.
    expect(second.rawIds()).toBe(first.rawIds());
    expect(second.objects()).toEqual(first.objects());
    expect(second.objects()).not.toBe(first.objects());
    expect(idsAndTypes(second.objects())).toEqual([1, 3, 49].map((at) => list[at]));
    expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 'p'.repeat(64)))).toEqual(list);
    // Dropped, and another walk recorded with a bitmap for the same tip (SQLite may reuse its id).
    await storage.cloneWalks.deleteRepository(repo.id);
    const other = entries(50, 40, 'other pick');
    await storage.cloneWalks.save(repo.id, 'q'.repeat(64), other, new Map([[tip, bitsOf(50, [0, 2])]]));
    const again = await storage.cloneWalks.reachableEntries(repo.id, [tip]);
    expect(idsAndTypes(again?.objects())).toEqual([0, 2].map((at) => other[at]));
    expect(await storage.cloneWalks.find(repo.id, 'p'.repeat(64))).toBeUndefined();
    for (let read = 0; read < 2; read++) {
      expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 'q'.repeat(64)))).toEqual(other);
    }
  });

  it('an extension carries the bitmaps of the tips kept and writes new ones, nothing else', async () => {
    const repo = await newRepo();
    const base = entries(40, 40, 'tipped');
    const [kept, moved, gone] = ['kept', 'moved', 'gone'].map((name) => entries(1, 40, name)[0]!.id);
    const tips = new Map([
      [kept!, bitsOf(40, [0, 1, 2])],
      [moved!, bitsOf(40, [0, 3])],
      [gone!, bitsOf(40, [5])],
    ]);
    await storage.cloneWalks.save(repo.id, 't'.repeat(64), base, tips);
    const bytes = (await storage.cloneWalks.findBytes(repo.id, 't'.repeat(64)))!;
    expect(await storage.cloneWalks.bitmapTips(bytes.walkId)).toEqual(new Set([kept, moved, gone]));
    // OR-ed into a bitmap of the longer walk.
    const ored = new Uint8Array(6);
    expect(await storage.cloneWalks.orTipBitmaps(bytes.walkId, 40, [kept!, moved!], ored)).toBe(true);
    expect(ored).toEqual(bitsOf(41, [0, 1, 2, 3]));
    // A tip without a bitmap: false.
    expect(await storage.cloneWalks.orTipBitmaps(bytes.walkId, 40, [kept!, base[0]!.id], ored)).toBe(false);

    const appended = entries(2, 40, 'appended');
    const fresh = appended[0]!.id;
    const derived = new Map([
      [moved!, bitsOf(42, [0, 3, 40])],
      [fresh, bitsOf(42, [41])],
    ]);
    expect(
      await storage.cloneWalks.saveExtension(repo.id, 'u'.repeat(64), bytes, appended, {
        kept: [kept!, moved!, kept!],
        derived,
      }),
    ).toBe(true);
    const extended = (await storage.cloneWalks.findBytes(repo.id, 'u'.repeat(64)))!;
    // `gone` (no longer wanted) was left behind; `moved` has its new bitmap, not the old one.
    expect(await storage.cloneWalks.bitmapTips(extended.walkId)).toEqual(new Set([kept, moved, fresh]));
    const ids = (list: readonly WalkedEntry[] | undefined) => list?.map((entry) => entry.id);
    const all = [...base, ...appended];
    expect(ids(await storage.cloneWalks.reachableFrom(repo.id, [moved!]))).toEqual(
      ids([0, 3, 40].map((i) => all[i]!)),
    );
    expect(ids(await storage.cloneWalks.reachableFrom(repo.id, [fresh]))).toEqual([appended[1]!.id]);
    expect(ids(await storage.cloneWalks.reachableFrom(repo.id, [kept!]))).toEqual(ids(base.slice(0, 3)));
  });

  it('records nothing when the walk being extended was dropped meanwhile', async () => {
    const repo = await newRepo();
    await storage.cloneWalks.save(repo.id, 'g'.repeat(64), entries(3, 40, 'gone'));
    const bytes = await storage.cloneWalks.findBytes(repo.id, 'g'.repeat(64));
    await storage.cloneWalks.deleteRepository(repo.id);
    expect(await storage.cloneWalks.saveExtension(repo.id, 'h'.repeat(64), bytes!, entries(1), NO_TIPS)).toBe(
      false,
    );
    expect(await storage.cloneWalks.has(repo.id, 'h'.repeat(64))).toBe(false);
  });

  it('ignores a second recording of the same key (a racing clone) and keeps the first', async () => {
    const repo = await newRepo();
    const first = entries(3, 40, 'first');
    await Promise.all([
      storage.cloneWalks.save(repo.id, 'r'.repeat(64), first),
      storage.cloneWalks.save(repo.id, 'r'.repeat(64), first),
    ]);
    await storage.cloneWalks.save(repo.id, 'r'.repeat(64), entries(4, 40, 'second'));
    expect(idsAndTypes(await storage.cloneWalks.find(repo.id, 'r'.repeat(64)))).toEqual(first);
  });

  it('keeps the newest walks of a repository and drops older ones with their parts', async () => {
    const repo = await newRepo();
    const keys = Array.from({ length: WALKS_KEPT_PER_REPOSITORY + 2 }, (_, i) => String(i).repeat(64));
    for (const key of keys) await storage.cloneWalks.save(repo.id, key, entries(2, 40, key));
    for (const key of keys.slice(0, 2)) expect(await storage.cloneWalks.find(repo.id, key)).toBeUndefined();
    for (const key of keys.slice(2)) expect(await storage.cloneWalks.find(repo.id, key)).toHaveLength(2);
    const orphans = await getDb()
      .database.db.selectFrom('clone_walk_parts')
      .select('walk_id')
      .where('walk_id', 'not in', getDb().database.db.selectFrom('clone_walks').select('id'))
      .execute();
    expect(orphans).toEqual([]);
  });

  it('keeps a walk the recorder still wants as if recorded now: newer walks drop older ones first', async () => {
    const repo = await newRepo();
    // Each write a millisecond later (created_at orders the walks; ties fall back to the row id).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const tick = () => vi.setSystemTime(Date.now() + 1);
      const keys = Array.from({ length: WALKS_KEPT_PER_REPOSITORY }, (_, i) => String(i).repeat(64));
      for (const key of keys) {
        tick();
        await storage.cloneWalks.save(repo.id, key, entries(2, 40, key));
      }
      tick();
      expect(await storage.cloneWalks.keep(repo.id, keys[0]!)).toBe(true);
      expect(await storage.cloneWalks.keep(repo.id, 'k'.repeat(64))).toBe(false);
      for (const key of ['a', 'b'].map((c) => c.repeat(64))) {
        tick();
        await storage.cloneWalks.save(repo.id, key, entries(2, 40, key));
      }
      expect(await storage.cloneWalks.has(repo.id, keys[0]!)).toBe(true);
      for (const key of keys.slice(1, 3)) expect(await storage.cloneWalks.has(repo.id, key)).toBe(false);
      for (const key of keys.slice(3)) expect(await storage.cloneWalks.has(repo.id, key)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets damaged lists instead of returning a wrong one, so they can be recorded again', async () => {
    const repo = await newRepo();
    const key = 'd'.repeat(64);
    const list = entries(3);
    const partOf = async () =>
      getDb()
        .database.db.selectFrom('clone_walk_parts')
        .innerJoin('clone_walks', 'clone_walks.id', 'clone_walk_parts.walk_id')
        .select(['clone_walk_parts.walk_id', 'clone_walk_parts.data'])
        .where('clone_walks.repo_id', '=', repo.id)
        .executeTakeFirstOrThrow();
    await storage.cloneWalks.save(repo.id, key, list);
    const good = Buffer.from((await partOf()).data);
    const badType = Buffer.from(good);
    badType[1] = 5 | (12 << 3); // code 5, whatever the size class
    const damages = [
      good.subarray(0, good.length - 5), // truncated inside an entry
      Buffer.concat([Buffer.from([7]), good.subarray(1)]), // unknown id length
      badType, // unknown type code
      good.subarray(0, 1 + (good.length - 1) / 3), // whole entries, fewer than counted
    ];
    for (const data of damages) {
      const { walk_id } = await partOf();
      await getDb()
        .database.db.updateTable('clone_walk_parts')
        .set({ data })
        .where('walk_id', '=', walk_id)
        .execute();
      // Damage that leaves whole entries of a known format is found when the walk is decoded.
      if (data !== badType) expect(await storage.cloneWalks.findBytes(repo.id, key)).toBeUndefined();
      // A partial clone picking from the stored bytes sees an unknown type code too.
      else expect((await storage.cloneWalks.findBytes(repo.id, key))?.pick(() => true)).toBeUndefined();
      expect(await storage.cloneWalks.find(repo.id, key)).toBeUndefined();
      // The damaged walk is gone: the next recording of the key is kept.
      await storage.cloneWalks.save(repo.id, key, list);
      expect(idsAndTypes(await storage.cloneWalks.find(repo.id, key))).toEqual(list);
    }
  });

  it('reads objects by their recorded rows, ignoring hints that name another row', async () => {
    const repo = await newRepo();
    const ids = (await storage.writeObjects(
      repo.id,
      ['one', 'two', 'three'].map((text) => ({ type: 'blob' as const, data: Buffer.from(`${text}\n`) })),
    )) as ObjectId[];
    const rows = await getDb()
      .database.db.selectFrom('raw_objects')
      .select(['id', 'git_id'])
      .where('git_id', 'in', ids)
      .execute();
    const rowOf = (id: string) => storedObjectHint(Number(rows.find((row) => row.git_id === id)?.id));
    const plain = await storage.objects.packReady(repo.id, ids);
    // Right, swapped, unknown and missing hints: every entry is still the object asked for.
    const hints = [rowOf(ids[0] as string), rowOf(ids[0] as string), storedObjectHint(987_654_321)];
    expect(await storage.objects.packReady(repo.id, ids, hints)).toEqual(plain);
    expect(await storage.objects.packReady(repo.id, ids, [undefined, rowOf(ids[1] as string)])).toEqual(
      plain,
    );
  });

  it('removes the walks of a deleted repository', async () => {
    const repo = await newRepo();
    await storage.cloneWalks.save(repo.id, 'e'.repeat(64), entries(3));
    await storage.repositories.delete(repo.id);
    expect(
      await getDb()
        .database.db.selectFrom('clone_walks')
        .select('id')
        .where('repo_id', '=', repo.id)
        .execute(),
    ).toEqual([]);
    expect(await storage.cloneWalks.find(repo.id, 'e'.repeat(64))).toBeUndefined();
  });
});
