import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hashObject } from './object.js';
import { SHA1 } from './object-format.js';
import { encodeEntryHeader, encodeOfsDistance, encodePackHeader, PackEntryType } from './pack-format.js';
import { spoolPackToTrailer } from './pack-framing.js';
import { readPack } from './pack-reader.js';
import { MemoryPackSpool } from './pack-spool.js';
import { codeOf } from '../../tests/support/mega-errors.js';

/** Packs whose end is their trailer while the input stays open, as over SSH. */

function packOf(entries: readonly Buffer[], count = entries.length): Buffer {
  const body = Buffer.concat([encodePackHeader(count), ...entries]);
  return Buffer.concat([body, SHA1.hash(body)]);
}

function blobEntry(data: Buffer, declared = data.length): Buffer {
  return Buffer.concat([encodeEntryHeader(PackEntryType.Blob, declared), zlib.deflateSync(data)]);
}

/** A delta that copies all of a `baseSize`-byte base (< 64 KiB) and appends one byte. */
function appendDelta(baseSize: number, byte: number): Buffer {
  const copyAll = [0x80 | 0x10 | 0x20, baseSize & 0xff, (baseSize >> 8) & 0xff];
  return Buffer.from([baseSize, baseSize + 1, ...copyAll, 1, byte]);
}

function ofsDelta(distance: number, delta: Buffer): Buffer {
  return Buffer.concat([
    encodeEntryHeader(PackEntryType.OfsDelta, delta.length),
    encodeOfsDistance(distance),
    zlib.deflateSync(delta),
  ]);
}

/**
 * An SSH channel's input: `chunks`, then (unless `eof`) nothing ever again, as when the client
 * waits for the report. Counts the reads that came after the last chunk.
 */
function channel(chunks: readonly Buffer[], eof = false) {
  let next = 0;
  const state = { readsAfterPack: 0 };
  const source: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (next < chunks.length) return Promise.resolve({ done: false, value: chunks[next++]! });
        state.readsAfterPack++;
        return eof
          ? Promise.resolve({ done: true, value: undefined })
          : new Promise<IteratorResult<Buffer>>(() => undefined);
      },
    }),
  };
  return { source, state };
}

function split(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < data.length; pos += size) out.push(data.subarray(pos, pos + size));
  return out;
}

/** Fails instead of hanging when a read waits for input that never comes. */
function soon<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => {
      setTimeout(() => reject(new Error('still waiting for input after the pack')), 2000).unref();
    }),
  ]);
}

const HELLO = Buffer.from('hello world, hello pack\n');
const first = blobEntry(HELLO);
const PACK = packOf([first, ofsDelta(first.length, appendDelta(HELLO.length, 0x21))]);
/** A blob bigger than the framing pass's 1 MiB output pieces, and incompressible. */
const BIG = randomBytes(3 * 1024 * 1024 + 17);
const BIG_PACK = packOf([blobEntry(BIG), blobEntry(HELLO)]);

/** Either reader: the ids it read, or the bytes it spooled. */
const readers: Record<string, (source: AsyncIterable<Buffer>) => Promise<Buffer | readonly string[]>> = {
  readPack: (source: AsyncIterable<Buffer>) =>
    readPack(source, { stopAtTrailer: true, largeBlobThreshold: 1 << 20 }).then((result) =>
      result.objects.map((object) => object.id),
    ),
  spoolPackToTrailer: async (source: AsyncIterable<Buffer>) => {
    const spool = new MemoryPackSpool();
    const length = await spoolPackToTrailer(source, spool);
    expect(spool.length).toBe(length);
    return spool.toBuffer();
  },
};

describe.each(Object.entries(readers))('%s stopping at the trailer', (_name, read) => {
  it.each([1, 7, 64, PACK.length])('ends at the trailer with the input open (chunks of %i)', async (size) => {
    const { source, state } = channel(split(PACK, size));
    const result = await soon(read(source));
    if (Buffer.isBuffer(result)) expect(result.equals(PACK)).toBe(true);
    else expect(result[0]).toBe(hashObject('blob', HELLO));
    expect(state.readsAfterPack).toBe(0);
  });

  it('ends a pack with a big streamed blob at its trailer', async () => {
    const { source, state } = channel(split(BIG_PACK, 100_000));
    const result = await soon(read(source));
    if (Buffer.isBuffer(result)) expect(result.equals(BIG_PACK)).toBe(true);
    else expect(result).toEqual([hashObject('blob', BIG), hashObject('blob', HELLO)]);
    expect(state.readsAfterPack).toBe(0);
  });

  it('never reads what a client sends after the chunk that ended the pack', async () => {
    const { source } = channel([PACK, Buffer.from('0000')]);
    expect(await codeOf(soon(read(source)))).toBe('no error');
  });

  const bad = Buffer.concat([PACK.subarray(0, -1), Buffer.from([PACK.at(-1)! ^ 1])]);
  it.each([
    [
      'garbage received with the trailer',
      [Buffer.concat([PACK, Buffer.from('0000')])],
      'pack_trailing_garbage',
    ],
    [
      'garbage with a split trailer',
      [PACK.subarray(0, -5), Buffer.concat([PACK.subarray(-5), Buffer.from('x')])],
      'pack_trailing_garbage',
    ],
    ['a bad checksum', [bad], 'pack_bad_checksum'],
    ['one object fewer declared than sent', [packOf([first, blobEntry(HELLO)], 1)], 'pack_trailing_garbage'],
    ['a size that lies high', [packOf([blobEntry(HELLO, 1000)])], 'pack_size_mismatch'],
    ['a size that lies low', [packOf([blobEntry(HELLO, 3)])], 'pack_size_mismatch'],
    [
      'an entry that is not zlib',
      [packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Blob, 3), Buffer.alloc(16, 0xff)])])],
      'pack_bad_zlib',
    ],
  ])('refuses %s with the input open', async (_name, chunks, code) => {
    expect(await codeOf(soon(read(channel(chunks).source)))).toBe(code);
  });

  it.each([
    ['an empty input', Buffer.alloc(0)],
    ['a cut header', PACK.subarray(0, 8)],
    ['a cut entry', PACK.subarray(0, 20)],
    ['a missing trailer', PACK.subarray(0, -20)],
    ['a cut trailer', PACK.subarray(0, -3)],
    ['more objects declared than sent', packOf([first], 2)],
  ])('refuses %s followed by the end of input', async (_name, pack) => {
    expect(await codeOf(soon(read(channel([pack], true).source)))).toBe('pack_truncated');
  });
});

describe('spoolPackToTrailer limits', () => {
  it('applies the pack reader limits while receiving', async () => {
    const spool = () => new MemoryPackSpool();
    const of = (limits: Parameters<typeof spoolPackToTrailer>[2]) =>
      codeOf(spoolPackToTrailer(channel([BIG_PACK]).source, spool(), limits));
    expect(await of({ limits: { maxPackSize: 1000 } })).toBe('pack_too_large');
    expect(await of({ limits: { maxObjects: 1 } })).toBe('pack_too_many_objects');
    expect(await of({ limits: { maxObjectSize: 1 << 20 } })).toBe('pack_object_too_large');
  });
});
