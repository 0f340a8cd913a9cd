import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Inflater } from './inflater.js';
import { hashObject, objectHeader } from './object.js';
import { SHA1 } from './object-format.js';
import type { ObjectId } from './object-id.js';
import { encodeEntryHeader, encodeOfsDistance, encodePackHeader, PackEntryType } from './pack-format.js';
import { readPack } from './pack-reader.js';
import type { PackedObject, PackReaderOptions } from './pack-types.js';

const MiB = 1024 * 1024;

/**
 * A blob of `size` bytes made of one random 4 KiB block repeated: deflate finds the repeats, so
 * the pack stays small while the inflated object is big. Built piece by piece, never whole.
 */
async function bigBlobEntry(size: number): Promise<{ entry: Buffer; id: ObjectId; zlibStream: Buffer }> {
  const block = randomBytes(4096);
  const piece = Buffer.alloc(MiB);
  for (let at = 0; at < MiB; at += block.length) block.copy(piece, at);
  const hasher = SHA1.createHasher().update(objectHeader('blob', size));
  const deflate = zlib.createDeflate({ level: 1 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => deflate.on('end', resolve));
  for (let written = 0; written < size; written += MiB) {
    const part = piece.subarray(0, Math.min(MiB, size - written));
    hasher.update(part);
    if (!deflate.write(part)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  const zlibStream = Buffer.concat(out);
  return {
    entry: Buffer.concat([encodeEntryHeader(PackEntryType.Blob, size), zlibStream]),
    id: hasher.digest('hex') as ObjectId,
    zlibStream,
  };
}

function packOf(entries: readonly Buffer[]): Buffer {
  const body = Buffer.concat([encodePackHeader(entries.length), ...entries]);
  return Buffer.concat([body, SHA1.hash(body)]);
}

function smallBlob(data: Buffer): Buffer {
  return Buffer.concat([encodeEntryHeader(PackEntryType.Blob, data.length), zlib.deflateSync(data)]);
}

async function* chunksOf(data: Buffer, size: number, onChunk?: () => void): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < data.length; pos += size) {
    onChunk?.();
    yield data.subarray(pos, pos + size);
  }
}

async function collect(pack: Buffer, options: PackReaderOptions = {}, chunk = 64 * 1024) {
  const whole: { object: PackedObject; data: Buffer }[] = [];
  const streamed: { object: PackedObject; raw: Buffer }[] = [];
  const result = await readPack(chunksOf(pack, chunk), {
    onObject: (object, content) => {
      whole.push({ object, data: Buffer.from(content.data) });
    },
    onLargeBlob: async (object, raw) => {
      const pieces: Buffer[] = [];
      for await (const piece of raw) pieces.push(Buffer.from(piece));
      streamed.push({ object, raw: Buffer.concat(pieces) });
    },
    ...options,
  });
  return { result, whole, streamed };
}

describe('big blobs are streamed, never held whole', () => {
  it('indexes a 96 MiB blob with memory independent of its size', async () => {
    const size = 96 * MiB;
    const big = await bigBlobEntry(size);
    const pack = packOf([smallBlob(Buffer.from('small\n')), big.entry]);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    };
    let largestPiece = 0;
    let rawBytes = 0;
    const seen: PackedObject[] = [];
    const result = await readPack(chunksOf(pack, 256 * 1024, sample), {
      onObject: (object, content) => {
        sample();
        expect(content.data.length).toBeLessThan(MiB);
        seen.push(object);
      },
      onLargeBlob: async (object, raw) => {
        seen.push(object);
        for await (const piece of raw) {
          sample();
          largestPiece = Math.max(largestPiece, piece.length);
          rawBytes += piece.length;
        }
      },
    });
    sample();
    expect(seen.map((object) => object.size)).toEqual([6, size]);
    expect(result.objects[1]).toMatchObject({ id: big.id, type: 'blob', size, depth: 0 });
    expect(rawBytes).toBe(big.zlibStream.length);
    expect(largestPiece).toBeLessThanOrEqual(MiB);
    // Inflating the blob whole would add at least its 96 MiB; streaming adds ~1 MiB pieces.
    expect(peak).toBeLessThan(32 * MiB);
  });

  it('hands the exact zlib stream, in pieces, and the same id as a whole inflate', async () => {
    const big = await bigBlobEntry(3 * MiB + 17);
    const small = Buffer.from('hello\n');
    const pack = packOf([smallBlob(small), big.entry]);
    const { result, whole, streamed } = await collect(pack, { largeBlobThreshold: MiB });
    expect(whole.map((item) => item.object.id)).toEqual([hashObject('blob', small)]);
    expect(streamed).toHaveLength(1);
    expect(streamed[0]!.object).toMatchObject({ id: big.id, size: 3 * MiB + 17 });
    expect(streamed[0]!.raw.equals(big.zlibStream)).toBe(true);
    // Without onLargeBlob the documented API is unchanged: every object comes whole to onObject.
    const plain: PackedObject[] = [];
    await readPack(chunksOf(pack, 4096), { onObject: (object) => void plain.push(object) });
    expect(plain.map((object) => object.id)).toEqual(result.objects.map((object) => object.id));
  });

  it('handles sizes that are an exact multiple of the piece size, and the fallback inflater', async () => {
    const big = await bigBlobEntry(2 * MiB);
    const pack = packOf([big.entry]);
    for (const forceInflateFallback of [false, true]) {
      const { streamed } = await collect(pack, { largeBlobThreshold: MiB, forceInflateFallback }, 1000);
      expect(streamed[0]!.object.id).toBe(big.id);
    }
  });

  it('resolves a delta whose base is a streamed blob', async () => {
    const size = 2 * MiB;
    const big = await bigBlobEntry(size);
    // Copy the first 10 bytes of the base, then insert "!".
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
      return [...out, n];
    };
    const delta = Buffer.from([...varint(size), ...varint(11), 0x80 | 0x10, 10, 1, 0x21]);
    const deltaEntry = Buffer.concat([
      encodeEntryHeader(PackEntryType.OfsDelta, delta.length),
      encodeOfsDistance(big.entry.length),
      zlib.deflateSync(delta),
    ]);
    const expected = Buffer.concat([zlib.inflateSync(big.zlibStream).subarray(0, 10), Buffer.from('!')]);
    // On worker threads too: the worker inflates the streamed base from its zlib stream.
    for (const threads of [{}, { threads: 2, minObjectsForThreads: 0 }]) {
      const { result, whole } = await collect(packOf([big.entry, deltaEntry]), {
        largeBlobThreshold: MiB,
        ...threads,
      });
      expect(whole).toHaveLength(1);
      expect(whole[0]!.data.equals(expected)).toBe(true);
      expect(result.objects[1]).toMatchObject({ deltaBase: big.id, depth: 1 });
    }
  });

  it('stops a streamed blob that inflates to more or less than declared', async () => {
    const data = Buffer.alloc(2 * MiB + 5, 7);
    const stream = zlib.deflateSync(data);
    for (const declared of [2 * MiB, 2 * MiB + 6, 3 * MiB]) {
      const pack = packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Blob, declared), stream])]);
      await expect(collect(pack, { largeBlobThreshold: MiB })).rejects.toMatchObject({
        code: 'pack_size_mismatch',
      });
    }
  });

  it('streams big blobs by default when the caller takes no content', async () => {
    const big = await bigBlobEntry(17 * MiB);
    const result = await readPack(chunksOf(packOf([big.entry]), MiB));
    expect(result.objects[0]!.id).toBe(big.id);
  });
});

describe('Inflater.beginStreaming', () => {
  it('hands out bounded pieces that add up to the stream', () => {
    const data = randomBytes(300_000);
    const stream = Buffer.concat([zlib.deflateSync(data), Buffer.from('next')]);
    const inflater = new Inflater();
    const pieces: Buffer[] = [];
    inflater.beginStreaming(data.length, (piece) => pieces.push(Buffer.from(piece)), 64 * 1024);
    const result = inflater.push(stream, 0, stream.length);
    expect(result).toEqual({ consumed: stream.length - 4, done: true });
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
    expect(inflater.output().length).toBe(0);
  });
});
