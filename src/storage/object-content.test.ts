import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { deflateBombPack, tagBombPack, type BombPack } from '../../tests/support/hostile-packs.js';
import type { ObjectId } from '../git/object-id.js';
import type { Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import { chunked } from '../../tests/support/git-fixtures.js';

const LARGE_THRESHOLD = 64 * 1024;
const BOMB_BYTES = 64 * 1024 * 1024;
/** zlib's default output chunk: what one piece of an inflating stream holds at most. */
const ZLIB_CHUNK = 16 * 1024;

let bomb: BombPack;
beforeAll(async () => {
  bomb = await deflateBombPack(BOMB_BYTES);
});

/** Reads a stream piece by piece: its total, its largest piece and its blob id. */
async function drain(stream: AsyncIterable<Buffer>, size: number) {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  let total = 0;
  let largest = 0;
  for await (const piece of stream) {
    total += piece.length;
    largest = Math.max(largest, piece.length);
    hash.update(piece);
  }
  return { total, largest, id: hash.digest('hex') };
}

describeEachDialect('object content streams', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), LARGE_THRESHOLD);
  });
  const newRepo = () => storage.repositories.create({ path: `/import/content-${++counter}`, kind: 'import' });

  it('inflates a deflate bomb stored as a file in zlib-sized pieces, never whole', async () => {
    const repo = await newRepo();
    await storage.ingestPack(repo.id, chunked(bomb.pack));
    const opened = await storage.objects.openContent(repo.id, bomb.blob);
    expect(opened).toMatchObject({ type: 'blob', size: BOMB_BYTES });
    const read = await drain(opened!.stream, BOMB_BYTES);
    expect(read.total).toBe(BOMB_BYTES);
    expect(read.largest).toBeLessThanOrEqual(ZLIB_CHUNK);
    expect(read.id).toBe(bomb.blob);
  });

  it('streams objects stored as rows the same way', async () => {
    const repo = await newRepo();
    await storage.ingestPack(repo.id, chunked(bomb.pack));
    const opened = await storage.objects.openContent(repo.id, bomb.commit);
    expect(opened?.type).toBe('commit');
    const pieces: Buffer[] = [];
    for await (const piece of opened!.stream) pieces.push(piece as Buffer);
    expect(Buffer.concat(pieces).toString()).toContain('\n\nzeros\n');
    expect(await storage.objects.openContent(repo.id, '0'.repeat(40) as ObjectId)).toBeUndefined();
  });

  it('stops inflating when the reader stops', async () => {
    const repo = await newRepo();
    await storage.ingestPack(repo.id, chunked(bomb.pack));
    const opened = await storage.objects.openContent(repo.id, bomb.blob);
    let read = 0;
    for await (const piece of opened!.stream) {
      read += (piece as Buffer).length;
      if (read >= 1024 * 1024) break;
    }
    expect(opened!.stream.destroyed).toBe(true);
  });

  it('fails the stream when stored chunks inflate to another size than the row says', async () => {
    const repo = await newRepo();
    await storage.ingestPack(repo.id, chunked(bomb.pack));
    const replaceChunks = async (data: Buffer) => {
      await getDb().database.db.deleteFrom('object_chunks').where('git_id', '=', bomb.blob).execute();
      await getDb()
        .database.db.insertInto('object_chunks')
        .values({ git_id: bomb.blob, seq: 0, data })
        .execute();
    };
    // Chunks holding more than the row claims: the stream stops at the stored size with an error.
    await replaceChunks(deflateSync(Buffer.alloc(BOMB_BYTES + 1)));
    const longer = await storage.objects.openContent(repo.id, bomb.blob);
    await expect(drain(longer!.stream, BOMB_BYTES)).rejects.toMatchObject({ code: 'object_corrupt' });
    await replaceChunks(deflateSync(Buffer.alloc(10)));
    const shorter = await storage.objects.openContent(repo.id, bomb.blob);
    await expect(drain(shorter!.stream, BOMB_BYTES)).rejects.toMatchObject({ code: 'object_corrupt' });
  });

  it('finds what a tag names from its first bytes, whatever its message size', async () => {
    const repo = await newRepo();
    await storage.ingestPack(repo.id, chunked(bomb.pack));
    const tag = await tagBombPack(bomb.commit, 8 * 1024 * 1024);
    await storage.ingestPack(repo.id, chunked(tag.pack));
    const targets = await storage.objects.tagTargets(repo.id, [tag.tag, bomb.commit, bomb.blob]);
    // Non-tags map to null (and are not inflated: the bomb blob is among them); absent ids are left out.
    expect(new Map(targets)).toEqual(
      new Map([
        [tag.tag, { object: bomb.commit, type: 'commit' }],
        [bomb.commit, null],
        [bomb.blob, null],
      ]),
    );
    expect([...(await storage.objects.tagTargets(repo.id, ['f'.repeat(40)]))]).toEqual([]);
    expect(await storage.objects.peel(repo.id, tag.tag)).toEqual({ id: bomb.commit, type: 'commit' });
    expect(await storage.objects.peel(repo.id, bomb.blob)).toEqual({ id: bomb.blob, type: 'blob' });
  });
});
