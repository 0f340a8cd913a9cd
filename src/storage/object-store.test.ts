import { beforeAll, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { storedObjectHint, type StoredObjectHint } from './pack-ready.js';
import type { Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';

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
    const rows = [await rowOf(small!), await rowOf(edge!), await rowOf(large!)];
    expect(await storage.objects.rowsSizedAtLeast(rows, 10)).toEqual(new Set(rows.slice(1)));
    expect(await storage.objects.rowsSizedAtLeast(rows, 51)).toEqual(new Set());
    expect(await storage.objects.rowsSizedAtLeast([], 0)).toEqual(new Set());
    // Keys of no row among many, past the bind-parameter limit.
    const absent = Array.from({ length: 12_000 }, (_, index) => 2_000_000_000 + index);
    expect(await storage.objects.rowsSizedAtLeast([...absent, ...rows], 4)).toEqual(new Set(rows.slice(1)));
  });
});
