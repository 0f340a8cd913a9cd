import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { hashObject } from '../git/object.js';
import { SHA1 } from '../git/object-format.js';
import { chunkBytes, ObjectChunks } from './object-chunks.js';
import { moveObjectFilesToChunks } from './object-file-move.js';
import { ObjectFiles } from './object-files.js';
import type { Storage } from './storage.js';
import { inTransaction } from './transaction.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import { chunked, failingAfter, makeRepository, packOf } from '../../tests/support/git-fixtures.js';

const LARGE_THRESHOLD = 64 * 1024;
/** Random, so deflating keeps it about this size: several chunks on every dialect. */
const BIG_BYTES = 3 * 1024 * 1024 + 12_345;

let work: { path: string; remove: () => Promise<void> };
let bigPack: Buffer;

beforeAll(async () => {
  work = await makeTempDir('mega-chunks-');
  const repoDir = join(work.path, 'source');
  await makeRepository(repoDir, { commits: 2, largeFileBytes: BIG_BYTES });
  bigPack = await packOf(repoDir, ['--all']);
});
afterAll(async () => {
  await work.remove();
});

describeEachDialect('object chunks', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), LARGE_THRESHOLD);
  });
  const newRepo = () => storage.repositories.create({ path: `/import/chunks-${++counter}`, kind: 'import' });
  const chunkCount = async (id?: string) => {
    let query = getDb()
      .database.db.selectFrom('object_chunks')
      .select((eb) => eb.fn.countAll().as('n'));
    if (id) query = query.where('git_id', '=', id);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };

  it('round-trips an object of several chunks: content, pack-ready bytes and a streamed read', async () => {
    const repo = await newRepo();
    const data = randomBytes(BIG_BYTES);
    const [id] = await storage.writeObjects(repo.id, [{ type: 'blob', data }]);
    const row = await getDb()
      .database.db.selectFrom('raw_objects')
      .select(['storage_type', 'data', 'path'])
      .where('git_id', '=', id!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ storage_type: 'chunks', data: null, path: null });
    const chunks = await chunkCount(id);
    expect(chunks).toBeGreaterThanOrEqual(Math.floor(BIG_BYTES / chunkBytes(getDb().database.capabilities)));
    expect(chunks).toBeGreaterThan(1);

    expect((await storage.objects.read(repo.id, id!))?.data.equals(data)).toBe(true);
    const opened = await storage.objects.openContent(repo.id, id!);
    expect((await buffer(opened!.stream)).equals(data)).toBe(true);
    const [entry] = await storage.objects.packReady(repo.id, [id!]);
    const deflated = entry!.deflated;
    expect(typeof deflated).toBe('function');
    const pieces: Buffer[] = [];
    for await (const piece of (deflated as () => AsyncIterable<Buffer>)()) pieces.push(piece);
    expect(inflateSync(Buffer.concat(pieces)).equals(data)).toBe(true);

    // Stored again (another repository): content-addressed, the chunks are not written twice.
    const other = await newRepo();
    await storage.writeObjects(other.id, [{ type: 'blob', data }]);
    expect(await chunkCount(id)).toBe(chunks);
    expect((await storage.objects.read(other.id, id!))?.data.equals(data)).toBe(true);
  });

  it('keeps the first writer of an object: a second stream of it is not read', async () => {
    const id = 'c'.repeat(40);
    const first = randomBytes(chunkBytes(getDb().database.capabilities) * 2 + 5);
    await inTransaction(getDb().database.db, async (trx) => {
      const chunks = new ObjectChunks(trx, getDb().database.capabilities);
      expect(await chunks.writeOnce(id, [first])).toBe(true);
      let read = false;
      async function* second(): AsyncGenerator<Buffer> {
        read = true;
        yield randomBytes(10);
      }
      expect(await chunks.writeOnce(id, second())).toBe(false);
      expect(read).toBe(true); // the claim needs the first chunk's bytes, nothing more is written
      expect((await chunks.read(id)).equals(first)).toBe(true);
      await chunks.remove(id);
    });
    expect(await chunkCount(id)).toBe(0);
  });

  it('fails a read of an object whose later chunk rows are lost, naming it', async () => {
    const id = 'd'.repeat(40);
    const size = chunkBytes(getDb().database.capabilities);
    const chunks = new ObjectChunks(getDb().database.db, getDb().database.capabilities);
    await chunks.write(id, [deflateSync(randomBytes(size * 3), { level: 0 })]);
    expect(await chunkCount(id)).toBe(4);
    for (const from of [3, 2, 1]) {
      await getDb()
        .database.db.deleteFrom('object_chunks')
        .where('git_id', '=', id)
        .where('seq', '>=', from)
        .execute();
      await expect(chunks.read(id)).rejects.toMatchObject({
        code: 'object_corrupt',
        message: expect.stringContaining(`stored object ${id} is cut short`),
      });
      await expect(buffer(chunks.openRead(id))).rejects.toMatchObject({ code: 'object_corrupt' });
    }
    await chunks.remove(id);
  });

  it('fails a read of an object that lost one row in the middle', async () => {
    const size = chunkBytes(getDb().database.capabilities);
    const chunks = new ObjectChunks(getDb().database.db, getDb().database.capabilities);
    // 11 rows; one is lost near the start, in the middle or near the end.
    const stream = deflateSync(randomBytes(size * 10), { level: 0 });
    for (const [lost, id] of [
      [1, 'a1'.repeat(20)],
      [4, 'a4'.repeat(20)],
      [9, 'a9'.repeat(20)],
    ] as const) {
      await chunks.write(id, [stream]);
      expect(await chunkCount(id)).toBe(11);
      await getDb()
        .database.db.deleteFrom('object_chunks')
        .where('git_id', '=', id)
        .where('seq', '=', lost)
        .execute();
      await expect(chunks.read(id)).rejects.toMatchObject({
        code: 'object_corrupt',
        message: `stored object ${id} is cut short: its ${lost} chunk rows end inside its zlib stream`,
      });
      await chunks.remove(id);
    }
  });

  it('reads an empty stream and one that ends a byte into its last row', async () => {
    const chunks = new ObjectChunks(getDb().database.db, getDb().database.capabilities);
    const empty = 'f'.repeat(40);
    await chunks.write(empty, []);
    expect(await chunkCount(empty)).toBe(1);
    expect((await chunks.read(empty)).length).toBe(0);
    // Random bytes, not a zlib stream: the last row is short, so it is never inflated.
    const odd = '1'.repeat(40);
    const data = randomBytes(chunkBytes(getDb().database.capabilities) + 1);
    await chunks.write(odd, [data]);
    expect((await chunks.read(odd)).equals(data)).toBe(true);
    await chunks.remove(empty);
    await chunks.remove(odd);
  });

  it('reads a whole stream that is an exact multiple of the chunk size', async () => {
    const id = 'e'.repeat(40);
    const size = chunkBytes(getDb().database.capabilities);
    // Stored deflate blocks: the stream is the data plus a few bytes of framing, so a data
    // length can be found that makes it exactly two full chunk rows.
    let data = randomBytes(size * 2);
    let stream = deflateSync(data, { level: 0 });
    data = data.subarray(0, data.length - (stream.length - size * 2));
    stream = deflateSync(data, { level: 0 });
    expect(stream.length).toBe(size * 2);
    const chunks = new ObjectChunks(getDb().database.db, getDb().database.capabilities);
    await chunks.write(id, [stream]);
    expect(await chunkCount(id)).toBe(2);
    expect(inflateSync(await chunks.read(id)).equals(data)).toBe(true);
    expect((await buffer(chunks.openRead(id))).equals(stream)).toBe(true);
    await chunks.remove(id);
  });

  it('stores a pushed big blob in chunks, and a failed ingest leaves none', async () => {
    const before = await chunkCount();
    const failing = await newRepo();
    const error = await storage
      .ingestPack(failing.id, failingAfter(bigPack, bigPack.length - 100))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await chunkCount()).toBe(before);
    // Failing after the chunks were written (the push's ref update, say) rolls them back too.
    await expect(
      storage.transaction(async (tx) => {
        const result = await tx.ingestPack(failing.id, chunked(bigPack, 256 * 1024));
        // Inside the transaction the big blob is stored, in chunks, and reads back whole.
        const ids = [...result.ids];
        const forms = await Promise.all(ids.map((id) => tx.objects.storedForm(id)));
        const big = ids[forms.findIndex((form) => form?.chunked)];
        expect(big).toBeDefined();
        expect((await tx.objects.read(failing.id, big!))?.data.length).toBe(BIG_BYTES);
        throw new Error('ref update failed');
      }),
    ).rejects.toThrow('ref update failed');
    expect(await chunkCount()).toBe(before);

    const repo = await newRepo();
    const result = await storage.ingestPack(repo.id, chunked(bigPack, 256 * 1024));
    expect(result.chunked).toBe(1);
    expect(await chunkCount()).toBeGreaterThan(before + 1);
    const big = await getDb()
      .database.db.selectFrom('raw_objects')
      .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
      .select('raw_objects.git_id')
      .where('repository_objects.repo_id', '=', repo.id)
      .where('raw_objects.storage_type', '=', 'chunks')
      .executeTakeFirstOrThrow();
    expect((await storage.objects.read(repo.id, big.git_id))?.data.length).toBe(BIG_BYTES);
  });

  it('moves object files of an older version into chunk rows, idempotently and resumably', async () => {
    const files = new ObjectFiles(getDb().dataDir);
    const repo = await newRepo();
    const contents = [randomBytes(BIG_BYTES), randomBytes(100 * 1024)];
    let ids = contents.map((data) => hashObject('blob', data, SHA1));
    // In different fan-out folders, so the second one's folder empties when it is moved.
    while (ids[0]!.slice(0, 2) === ids[1]!.slice(0, 2)) {
      contents[1] = randomBytes(100 * 1024);
      ids = contents.map((data) => hashObject('blob', data, SHA1));
    }
    // Rows as versions before 0007 wrote them: a file under objects/, its path in the row.
    for (const [index, data] of contents.entries()) {
      const id = ids[index]!;
      const path = await files.write(id, [deflateSync(data)]);
      await getDb()
        .database.db.insertInto('raw_objects')
        .values({
          git_id: id,
          object_type: 'blob',
          storage_type: 'file',
          size: data.length,
          delta_base: null,
          delta_depth: 0,
          payload_size: data.length,
          data: null,
          path,
        })
        .execute();
      await getDb()
        .database.db.insertInto('repository_objects')
        .values({ repo_id: repo.id, git_id: id })
        .execute();
    }
    // A row whose file this data directory lacks (another server's) stays as it is.
    const absent = 'd'.repeat(40);
    await getDb()
      .database.db.insertInto('raw_objects')
      .values({
        git_id: absent,
        object_type: 'blob',
        storage_type: 'file',
        size: 1,
        delta_base: null,
        delta_depth: 0,
        payload_size: 1,
        data: null,
        path: files.relativePath(absent),
      })
      .execute();
    // A move that stopped after the first object (a crash): that one is done, the rest is not.
    await getDb()
      .database.db.updateTable('raw_objects')
      .set({ storage_type: 'chunks', path: null })
      .where('git_id', '=', ids[0]!)
      .execute();
    await new ObjectChunks(getDb().database.db, getDb().database.capabilities).write(ids[0]!, [
      deflateSync(contents[0]!),
    ]);

    const summary = await moveObjectFilesToChunks(getDb().database.db, getDb().database.capabilities, files);
    expect(summary).toEqual({ moved: 1, absent: 1 });
    const again = await moveObjectFilesToChunks(getDb().database.db, getDb().database.capabilities, files);
    expect(again).toEqual({ moved: 0, absent: 1 });

    for (const [index, data] of contents.entries()) {
      const id = ids[index]!;
      expect((await storage.objects.read(repo.id, id))?.data.equals(data)).toBe(true);
      const row = await getDb()
        .database.db.selectFrom('raw_objects')
        .select(['storage_type', 'path'])
        .where('git_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ storage_type: 'chunks', path: null });
    }
    await expect(stat(join(files.root, files.relativePath(ids[1]!)))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const left = await getDb()
      .database.db.selectFrom('raw_objects')
      .select('storage_type')
      .where('git_id', '=', absent)
      .executeTakeFirstOrThrow();
    expect(left.storage_type).toBe('file');
    await getDb().database.db.deleteFrom('raw_objects').where('git_id', '=', absent).execute();
    expect(await readdir(join(files.root, 'tmp')).catch(() => [])).toEqual([]);
  });
});
