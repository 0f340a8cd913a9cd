import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hashObject } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import { PackEntryType, decodePackHeader, encodeEntryHeader, encodePackHeader } from '../git/pack-format.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { sendCachedSubset } from './cached-pack-subset.js';
import { PackEntryIndexBuilder } from './pack-entry-index.js';
import type { IndexedCachedPack } from '../storage/pack-cache.js';
import type { ObjectSource, WalkList, WalkedObject } from './served-repository.js';
import { walkListOf } from './walk-list.js';

const blobs = ['one\n', 'two\n', 'three\n', 'four\n'].map((text) => Buffer.from(text));
const ids = blobs.map((data) => hashObject('blob', data));

/**
 * A cached pack of the four blobs, whole, in order, with its entry index; `misplace` changes
 * the offsets the index tells (an index that does not fit its pack).
 */
async function cachedPack(dir: string, misplace = (offsets: number[]) => offsets) {
  const parts: Buffer[] = [encodePackHeader(blobs.length)];
  const index = new PackEntryIndexBuilder(blobs.length, 20);
  const offsets: number[] = [];
  let offset = parts[0]!.length;
  for (const data of blobs) {
    const entry = Buffer.concat([encodeEntryHeader(PackEntryType.Blob, data.length), zlib.deflateSync(data)]);
    offsets.push(offset);
    parts.push(entry);
    offset += entry.length;
  }
  misplace(offsets).forEach((at, entry) => index.add(ids[entry]!, at));
  const body = Buffer.concat(parts);
  const bytes = Buffer.concat([body, createHash('sha1').update(body).digest()]);
  const path = join(dir, 'full.pack');
  await writeFile(path, bytes);
  const finished = index.finish()!;
  return { size: bytes.length, file: await open(path, 'r'), index: finished, indexWithChecksum: finished };
}

/** Nothing is read from storage: every listed object is a whole entry of the cached pack. */
const noObjects = { readObject: () => Promise.resolve(undefined) } as unknown as ObjectSource;

/** The cut of `list` out of `pack`: what was sent and the bytes written. */
async function send(pack: IndexedCachedPack, list: WalkList) {
  const written: Buffer[] = [];
  const sent = await sendCachedSubset(pack, list, noObjects, {
    write: (chunk: Buffer) => {
      written.push(Buffer.from(chunk));
      return Promise.resolve();
    },
  } as never);
  return { sent, bytes: Buffer.concat(written) };
}

async function cut(list: readonly WalkedObject[], misplace?: (offsets: number[]) => number[]) {
  const dir = await makeTempDir();
  const pack = await cachedPack(dir.path, misplace);
  try {
    return await send(pack, walkListOf(list));
  } finally {
    await pack.file.close();
    await dir.remove();
  }
}

const blob = (id: string): WalkedObject => ({ id: id as ObjectId, type: 'blob' });

describe('sendCachedSubset', () => {
  it('cuts a list in the pack order and one in another order to the same objects', async () => {
    const ordered = await cut([blob(ids[0]!), blob(ids[2]!), blob(ids[3]!)]);
    expect(ordered.sent?.objects).toBe(3);
    expect(decodePackHeader(ordered.bytes.subarray(0, 12)).count).toBe(3);
    const unordered = await cut([blob(ids[3]!), blob(ids[0]!), blob(ids[2]!)]);
    expect(unordered.bytes.equals(ordered.bytes)).toBe(true);
  });

  it('writes nothing for a list the pack does not hold, or with ids that are not hex', async () => {
    const missing = hashObject('blob', Buffer.from('five\n'));
    const rejected = [
      [blob(ids[0]!), blob(missing)],
      [blob(ids[0]!), blob(ids[1]!.toUpperCase().replace(/[0-9]/g, 'z'))],
      [blob(ids[0]!), blob(ids[1]!.slice(0, 39))],
      [blob(ids[0]!), blob(ids[0]!)],
    ];
    for (const list of rejected) {
      const { sent, bytes } = await cut(list);
      expect(sent).toBeUndefined();
      expect(bytes.length).toBe(0);
    }
  });

  it('writes nothing when the offsets of the entries it keeps do not fit the pack', async () => {
    const list = [blob(ids[1]!), blob(ids[2]!)];
    const misplaced: Array<(offsets: number[]) => number[]> = [
      // Out of order: entry 1 after entry 2.
      ([a, b, c, d]) => [a!, c!, b!, d!],
      // Inside the pack's header.
      ([a, , c, d]) => [a!, 4, c!, d!],
      // Entry 2 as long as entry 1's start allows, up to the checksum.
      ([a, b, , d]) => [a!, b!, d! + 1000, d!],
      // Two entries starting at the same place.
      ([a, b, , d]) => [a!, b!, b!, d!],
    ];
    for (const misplace of misplaced) {
      const { sent, bytes } = await cut(list, misplace);
      expect(sent).toBeUndefined();
      expect(bytes.length).toBe(0);
    }
    // Offsets of entries the cut leaves out are not its business.
    const { sent } = await cut(list, ([, b, c, d]) => [3, b!, c!, d!]);
    expect(sent?.objects).toBe(2);
  });

  it('keeps a cut by its index and list: the list cut again alike, another list on its own', async () => {
    const dir = await makeTempDir();
    const pack = await cachedPack(dir.path);
    try {
      // A remembered pick's raw ids are the same buffer at each clone (a decoded list's are not).
      const raw = Buffer.from(ids[0]! + ids[3]!, 'hex');
      const list = { ...walkListOf([blob(ids[0]!), blob(ids[3]!)]), rawIds: () => raw };
      const first = await send(pack, list);
      expect((await send(pack, list)).bytes.equals(first.bytes)).toBe(true);
      const other = await send(pack, walkListOf([blob(ids[1]!), blob(ids[2]!), blob(ids[3]!)]));
      expect(other.sent?.objects).toBe(3);
      expect(other.bytes.equals((await cut([blob(ids[1]!), blob(ids[2]!), blob(ids[3]!)])).bytes)).toBe(true);
      // The same index with a pack of another size (cut short): checked again, nothing written.
      const short = join(dir.path, 'short.pack');
      const bytes = await readFile(join(dir.path, 'full.pack'));
      await writeFile(short, bytes.subarray(0, bytes.length - 30));
      const file = await open(short, 'r');
      try {
        const truncated = { ...pack, file, size: bytes.length - 30 };
        const again = await send(truncated, list);
        expect(again.sent).toBeUndefined();
        expect(again.bytes.length).toBe(0);
      } finally {
        await file.close();
      }
    } finally {
      await pack.file.close();
      await dir.remove();
    }
  });
});
