import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import { isMegaError } from '../../src/platform/errors.js';
import type { LfsBlobStore } from '../../src/storage/lfs/lfs-blob-store.js';

/** What the shared tests need from one implementation. */
export interface BlobStoreUnderTest {
  readonly store: LfsBlobStore;
  /** How many staged (not yet readable) uploads the store holds: 0 after every failed put. */
  staged(): Promise<number>;
  /** Leaves a staged upload behind, as a process that crashed mid-upload would. */
  stageLeftover(): Promise<void>;
  /** Size of the parts the store writes (chunk rows, multipart parts); content spans several. */
  readonly partBytes: number;
}

export function blob(content: Buffer) {
  return { content, oid: createHash('sha256').update(content).digest('hex'), size: content.length };
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return isMegaError(error) ? error.code : error;
}

/** Yields `content` in pieces of odd sizes; with `failAfter`, fails once that many bytes went out. */
function pieces(content: Buffer, failAfter = Infinity): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < content.length; offset += 77_777) {
        const end = Math.min(offset + 77_777, failAfter);
        if (end > offset) yield content.subarray(offset, end);
        if (end === failAfter) throw new Error('client went away');
      }
    })(),
  );
}

/**
 * The `LfsBlobStore` contract, run against each implementation (`src/storage/lfs/blob-stores.test.ts`): verified
 * puts, streaming reads of the whole and of spans, and nothing readable or staged after a failed
 * or hostile upload.
 */
export function blobStoreContract(get: () => BlobStoreUnderTest): void {
  it('stores verified content and streams it back whole and in spans across parts', async () => {
    const { store, partBytes } = get();
    const data = blob(randomBytes(partBytes * 2 + 12_345));
    expect(await store.has(data.oid)).toBe(false);
    expect(await store.stat(data.oid)).toBeUndefined();
    expect(await store.put(data.oid, () => pieces(data.content), data.size)).toBe(data.size);
    expect(await store.has(data.oid)).toBe(true);
    expect(await store.stat(data.oid)).toBe(data.size);
    expect((await buffer(await store.open(data.oid))).equals(data.content)).toBe(true);
    for (const [start, end] of [
      [0, 0],
      [partBytes - 3, partBytes + 2],
      [partBytes, partBytes * 2],
      [data.size - 10, data.size - 1],
    ] as const) {
      const span = await buffer(await store.open(data.oid, { start, end }));
      expect(span.equals(data.content.subarray(start, end + 1))).toBe(true);
    }
    expect(await get().staged()).toBe(0);
  });

  it('stores an empty object and the same object twice', async () => {
    const { store } = get();
    const empty = blob(Buffer.alloc(0));
    expect(await store.put(empty.oid, () => Readable.from([]), 0)).toBe(0);
    expect(await store.stat(empty.oid)).toBe(0);
    expect((await buffer(await store.open(empty.oid))).length).toBe(0);
    const data = blob(randomBytes(5000));
    await store.put(data.oid, () => pieces(data.content), data.size);
    await store.put(data.oid, () => pieces(data.content), undefined);
    expect((await buffer(await store.open(data.oid))).equals(data.content)).toBe(true);
    expect(await get().staged()).toBe(0);
  });

  it('refuses wrong content, too many, too few bytes and a failing body, leaving nothing', async () => {
    const { store, partBytes } = get();
    const data = blob(randomBytes(partBytes + 5000));
    const other = randomBytes(data.size);
    expect(await codeOf(store.put(data.oid, () => pieces(other), data.size))).toBe(
      'lfs_object_hash_mismatch',
    );
    expect(await codeOf(store.put(data.oid, () => pieces(data.content), data.size - 1))).toBe(
      'lfs_object_size_mismatch',
    );
    expect(await codeOf(store.put(data.oid, () => pieces(data.content), data.size + 1))).toBe(
      'lfs_object_size_mismatch',
    );
    const failed = await codeOf(store.put(data.oid, () => pieces(data.content, partBytes), data.size));
    expect(failed).toBeInstanceOf(Error);
    expect(await store.has(data.oid)).toBe(false);
    expect(await get().staged()).toBe(0);
  });

  it('never lets a hostile upload replace stored content', async () => {
    const { store } = get();
    const data = blob(randomBytes(20_000));
    await store.put(data.oid, () => pieces(data.content), data.size);
    const forged = randomBytes(data.size);
    expect(await codeOf(store.put(data.oid, () => pieces(forged), data.size))).toBe(
      'lfs_object_hash_mismatch',
    );
    expect((await buffer(await store.open(data.oid))).equals(data.content)).toBe(true);
  });

  it('deletes content, and removes stale staged uploads but not young ones', async () => {
    const { store } = get();
    const data = blob(randomBytes(3000));
    await store.put(data.oid, () => pieces(data.content), data.size);
    await store.delete(data.oid);
    await store.delete(data.oid);
    expect(await store.has(data.oid)).toBe(false);
    await get().stageLeftover();
    expect(await get().staged()).toBe(1);
    expect(await store.removeStaleUploads(60 * 60 * 1000)).toBe(0);
    expect(await store.removeStaleUploads(60 * 60 * 1000, Date.now() + 2 * 60 * 60 * 1000)).toBe(1);
    expect(await get().staged()).toBe(0);
  });
}
