import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { rowOfHint, storedObjectHint, type PackReadyObject, type StoredObjectHint } from './pack-ready.js';
import { sizeClassOf } from './size-class.js';
import type { Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { chunked, makeRepo, packOf } from '../../tests/support/git-fixtures.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';

describeEachDialect('object store sizes', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 1 << 20);
  });
  const newRepo = () => storage.repositories.create({ path: `/import/sizes-${++counter}`, kind: 'import' });
  const blobs = (sizes: readonly number[], seed: string) =>
    sizes.map((size) => ({ type: 'blob' as const, data: Buffer.from(seed.repeat(size)) }));
  const rowOf = async (id: string): Promise<StoredObjectHint> => {
    const row = await getDb()
      .database.db.selectFrom('raw_objects')
      .select('id')
      .where('git_id', '=', id)
      .executeTakeFirstOrThrow();
    return storedObjectHint(Number(row.id));
  };

  it('answers which objects are at least a size, by row key or by membership, only the large ones', async () => {
    const repo = await newRepo();
    const other = await newRepo();
    const [small, edge, large] = (await storage.writeObjects(repo.id, blobs([3, 10, 50], 'a'))) as ObjectId[];
    const [elsewhere] = (await storage.writeObjects(other.id, blobs([100], 'b'))) as ObjectId[];
    const ids = [small, edge, large, elsewhere] as string[];
    // Without row keys: by membership, so another repository's object is not this one's.
    const none = ids.map(() => undefined);
    expect(await storage.objects.sizesAtLeast(repo.id, ids, none, 10)).toEqual(new Set([edge, large]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, none, 11)).toEqual(new Set([large]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, none, 1000)).toEqual(new Set());
    // With row keys for some: those read by key, the others by membership.
    const hints = [await rowOf(small!), undefined, await rowOf(large!), undefined];
    expect(await storage.objects.sizesAtLeast(repo.id, ids, hints, 3)).toEqual(new Set([small, edge, large]));
    // A hint's size class decides when it can (no read: a class made up here is taken as told);
    // a limit inside the class's range is read by key. Sizes 3, 10, 50: classes 3, 5, 7.
    const classed = async (id: string, sizeClass: number) =>
      storedObjectHint(rowOfHint(await rowOf(id)), sizeClass);
    const told = [await classed(small!, 31), await classed(edge!, 1), await classed(large!, 7), undefined];
    expect(await storage.objects.sizesAtLeast(repo.id, ids, told, 32)).toEqual(new Set([small, large]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, told, 33)).toEqual(new Set([small, large]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, told, 40)).toEqual(new Set([small, large]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, told, 60)).toEqual(new Set([small]));
    expect(await storage.objects.sizesAtLeast(repo.id, ids, told, 200)).toEqual(new Set([small]));
    // Class 7 holds 32 to 63 bytes: a limit of 40 or 60 reads the size (50).
    expect(sizeClassOf(50)).toBe(7);
    // Malformed ids and no ids at all are simply absent.
    expect(await storage.objects.sizesAtLeast(repo.id, ['zz', 'short'], [undefined, undefined], 0)).toEqual(
      new Set(),
    );
    expect(await storage.objects.sizesAtLeast(repo.id, [], [], 0)).toEqual(new Set());
  });

  it('reads many ids in batches within the bind-parameter limit', async () => {
    const repo = await newRepo();
    const stored = (await storage.writeObjects(
      repo.id,
      Array.from({ length: 30 }, (_, index) => ({
        type: 'blob' as const,
        data: Buffer.from(`${index}\n`.repeat(index)),
      })),
    )) as ObjectId[];
    const made = Array.from({ length: 12_000 }, (_, index) => index.toString(16).padStart(40, '0'));
    const ids = [...made, ...stored];
    const large = await storage.objects.sizesAtLeast(
      repo.id,
      ids,
      ids.map(() => undefined),
      60,
    );
    const expected = stored.filter((_, index) => `${index}\n`.length * index >= 60);
    expect(large).toEqual(new Set(expected));
  });

  it('answers which row keys are of objects at least a size, only the large ones, in batches', async () => {
    const repo = await newRepo();
    const [small, edge, large] = (await storage.writeObjects(repo.id, blobs([3, 10, 50], 'c'))) as ObjectId[];
    const rows = await Promise.all([small!, edge!, large!].map(async (id) => rowOfHint(await rowOf(id))));
    expect(await storage.objects.rowsSizedAtLeast(rows, 10)).toEqual(new Set(rows.slice(1)));
    expect(await storage.objects.rowsSizedAtLeast(rows, 51)).toEqual(new Set());
    expect(await storage.objects.rowsSizedAtLeast([], 0)).toEqual(new Set());
    // Keys of no row among many, past the bind-parameter limit.
    const absent = Array.from({ length: 12_000 }, (_, index) => 2_000_000_000 + index);
    expect(await storage.objects.rowsSizedAtLeast([...absent, ...rows], 4)).toEqual(new Set(rows.slice(1)));
  });
});

describeEachDialect('pack-ready entries by row key', (getDb) => {
  /** Below the chunk threshold, above what rows read back concatenated hold (16 KiB). */
  const IN_ROW_LONG = 40_000;
  const CHUNK_THRESHOLD = 64 * 1024;
  let storage: Storage;
  let work: Awaited<ReturnType<typeof makeTempDir>>;
  let pack: Buffer;
  beforeAll(async () => {
    storage = scratchStorage(getDb(), CHUNK_THRESHOLD);
    work = await makeTempDir('mega-pack-ready-');
    const dir = join(work.path, 'source');
    const notes = (revision: number) =>
      Array.from({ length: 300 }, (_, n) => `line ${n}, revision ${n % 9 === 0 ? revision : 0}\n`).join('');
    await makeRepo(dir, [
      { 'notes.txt': notes(1), 'long.bin': randomBytes(IN_ROW_LONG), 'chunked.bin': randomBytes(100_000) },
      { 'notes.txt': notes(2), 'a b.txt': 'spaces and\0bytes\n' },
      { 'notes.txt': notes(3) },
    ]);
    pack = await packOf(dir, ['--all']);
  });
  afterAll(async () => {
    await work.remove();
  });

  const storedRows = async (repoId: number) => {
    const rows = await getDb()
      .database.db.selectFrom('raw_objects')
      .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
      .select(['raw_objects.id', 'raw_objects.git_id', 'raw_objects.storage_type', 'raw_objects.data'])
      .where('repository_objects.repo_id', '=', repoId)
      .orderBy('raw_objects.git_id')
      .execute();
    return rows.map((row) => ({ ...row, id: storedObjectHint(Number(row.id)) }));
  };
  /** An entry's fields and stored bytes (a chunked entry's are streamed: marked, not read). */
  const comparable = (entry: PackReadyObject) => ({
    ...entry,
    deflated: Buffer.isBuffer(entry.deflated) ? Buffer.from(entry.deflated) : 'streamed',
  });

  it('reads by key exactly what membership reads: deltas, long rows, chunked rows, odd bytes', async () => {
    const repo = await storage.repositories.create({ path: '/import/pack-ready-keys', kind: 'import' });
    await storage.ingestPack(repo.id, chunked(pack));
    const rows = await storedRows(repo.id);
    const ids = rows.map((row) => row.git_id);
    const byMembership = await storage.objects.packReady(repo.id, ids);
    // The fixture has every kind of row the concatenated read leaves out or takes in.
    expect(byMembership.some((entry) => entry.deltaBase !== undefined)).toBe(true);
    expect(rows.some((row) => row.storage_type === 'chunks' && row.data === null)).toBe(true);
    expect(rows.some((row) => (row.data?.length ?? 0) > 16 * 1024)).toBe(true);
    const byKey = await storage.objects.packReady(
      repo.id,
      ids,
      rows.map((row) => row.id),
    );
    expect(byKey.map(comparable)).toEqual(byMembership.map(comparable));
    // In batches smaller than the ids: each batch's entries in their places.
    const batched = await storage.objects.packReady(
      repo.id,
      ids,
      rows.map((row) => row.id),
      3,
    );
    expect(batched.map(comparable)).toEqual(byMembership.map(comparable));
  });

  it('reads nothing by a key whose row holds another object, or by a key of no row', async () => {
    const repo = await storage.repositories.create({ path: '/import/pack-ready-wrong', kind: 'import' });
    await storage.ingestPack(repo.id, chunked(pack));
    const rows = await storedRows(repo.id);
    const ids = rows.map((row) => row.git_id);
    const expected = (await storage.objects.packReady(repo.id, ids)).map(comparable);
    // Every key shifted by one place (each names another object's row), and keys of no row.
    const shifted = rows.map((_, index) => rows[(index + 1) % rows.length]!.id);
    const absent = rows.map((_, index) => storedObjectHint(2_000_000_000 + index));
    for (const hints of [shifted, absent]) {
      const read = await storage.objects.packReady(repo.id, ids, hints);
      expect(read.map(comparable)).toEqual(expected);
    }
  });
});
