import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hashObject } from './object.js';
import { SHA1 } from './object-format.js';
import { objectIdToRaw, type ObjectId } from './object-id.js';
import { encodeEntryHeader, encodeOfsDistance, encodePackHeader, PackEntryType } from './pack-format.js';
import { readPack } from './pack-reader.js';
import type { PackReaderOptions } from './pack-types.js';
import { sharedResolveWorkerPool } from './resolve-worker-pool.js';
import { codeOf } from '../../tests/support/mega-errors.js';

/** Hand-built packs: every field can be made wrong on purpose. */
function packOf(entries: readonly Buffer[], count = entries.length): Buffer {
  const body = Buffer.concat([encodePackHeader(count), ...entries]);
  return Buffer.concat([body, SHA1.hash(body)]);
}

function blobEntry(data: Buffer, declared = data.length): Buffer {
  return Buffer.concat([encodeEntryHeader(PackEntryType.Blob, declared), zlib.deflateSync(data)]);
}

function refDelta(baseId: string, delta: Buffer): Buffer {
  return Buffer.concat([
    encodeEntryHeader(PackEntryType.RefDelta, delta.length),
    objectIdToRaw(baseId as ObjectId),
    zlib.deflateSync(delta),
  ]);
}

function ofsDelta(distance: number, delta: Buffer): Buffer {
  return Buffer.concat([
    encodeEntryHeader(PackEntryType.OfsDelta, delta.length),
    encodeOfsDistance(distance),
    zlib.deflateSync(delta),
  ]);
}

/** A delta that copies all of a `baseSize`-byte base (< 64 KiB) and appends one byte. */
function appendDelta(baseSize: number, byte: number): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const copyAll = [0x80 | 0x10 | 0x20, baseSize & 0xff, (baseSize >> 8) & 0xff];
  return Buffer.from([...varint(baseSize), ...varint(baseSize + 1), ...copyAll, 1, byte]);
}

async function* chunksOf(data: Buffer, size = 5): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
}

/** Delta resolution on two worker threads, even for these tiny packs. */
const THREADED: PackReaderOptions = { threads: 2, minObjectsForThreads: 0 };

/** OFS deltas applied as they are scanned, from a ring of recent contents. */
const RECENT: PackReaderOptions = { threads: 1, recentContentBytes: 1 << 20 };

const HELLO = Buffer.from('hello world, hello pack\n');
const HELLO_ID = hashObject('blob', HELLO);

describe('readPack on hand-built packs', () => {
  it('reads whole objects and both delta kinds, in every chunking and inflater', async () => {
    const first = blobEntry(HELLO);
    const pack = packOf([
      first,
      ofsDelta(first.length, appendDelta(HELLO.length, 0x21)),
      refDelta(HELLO_ID, appendDelta(HELLO.length, 0x3f)),
    ]);
    for (const forceInflateFallback of [false, true]) {
      for (const size of [1, 3, 64, pack.length]) {
        const result = await readPack(chunksOf(pack, size), { forceInflateFallback });
        expect(result.objects.map((o) => [o.type, o.size, o.depth])).toEqual([
          ['blob', HELLO.length, 0],
          ['blob', HELLO.length + 1, 1],
          ['blob', HELLO.length + 1, 1],
        ]);
        expect(result.objects[1]!.id).toBe(hashObject('blob', Buffer.concat([HELLO, Buffer.from('!')])));
        expect(result.objects[1]!.deltaBase).toBe(HELLO_ID);
      }
    }
  });

  it('hands every raw zlib stream and CRC32 exactly as in the pack, in every chunking', async () => {
    // Entries inside one received chunk get a view of it; others are read from the spool.
    const first = blobEntry(HELLO);
    const second = blobEntry(Buffer.from('second'));
    const pack = packOf([
      first,
      second,
      ofsDelta(first.length + second.length, appendDelta(HELLO.length, 0x21)),
    ]);
    const expected = await readPack(chunksOf(pack, pack.length));
    for (const size of [1, 5, 40, pack.length]) {
      const raws: string[] = [];
      const result = await readPack(chunksOf(pack, size), {
        onObject: (object, content) => {
          const start = object.offset + object.headerLength;
          expect(content.raw.equals(pack.subarray(start, start + object.compressedLength))).toBe(true);
          raws.push(content.raw.toString('hex'));
        },
      });
      expect(raws).toHaveLength(3);
      expect(result.objects.map((o) => o.crc32)).toEqual(expected.objects.map((o) => o.crc32));
      expect(result.objects.map((o) => o.crc32)).toEqual(
        result.objects.map((o) =>
          zlib.crc32(pack.subarray(o.offset, o.offset + o.headerLength + o.compressedLength)),
        ),
      );
    }
  });

  it('skips the CRC32s when asked, and nothing else', async () => {
    const first = blobEntry(HELLO);
    const pack = packOf([first, ofsDelta(first.length, appendDelta(HELLO.length, 0x21))]);
    const expected = await readPack(chunksOf(pack, 3));
    for (const options of [{}, RECENT]) {
      const skipped = await readPack(chunksOf(pack, 3), { ...options, skipCrc32: true });
      expect(skipped.objects.map((o) => o.crc32)).toEqual([0, 0]);
      expect(skipped.objects).toEqual(expected.objects.map((o) => ({ ...o, crc32: 0 })));
    }
  });

  it('gives the same objects and contents with worker threads', async () => {
    const first = blobEntry(HELLO);
    const second = ofsDelta(first.length, appendDelta(HELLO.length, 0x21));
    const pack = packOf([
      first,
      second,
      ofsDelta(second.length, appendDelta(HELLO.length + 1, 0x22)),
      refDelta(HELLO_ID, appendDelta(HELLO.length, 0x3f)),
      // A REF delta on a delta: its base id is known only once the base is resolved.
      refDelta(
        hashObject('blob', Buffer.concat([HELLO, Buffer.from('?')])),
        appendDelta(HELLO.length + 1, 0x40),
      ),
    ]);
    const read = async (options: PackReaderOptions) => {
      const contents: string[] = [];
      const result = await readPack(chunksOf(pack, 7), {
        ...options,
        onObject: async (object, content) => {
          await Promise.resolve();
          contents.push(`${object.id} ${content.data.toString('latin1')} ${content.raw.length}`);
        },
      });
      return { objects: result.objects, contents: contents.sort() };
    };
    const single = await read({});
    expect(single.objects.map((o) => o.depth)).toEqual([0, 1, 2, 1, 2]);
    expect(await read(THREADED)).toEqual(single);
    expect(await read({ ...THREADED, forceInflateFallback: true })).toEqual(single);
  });

  it('hands a job back to the calling thread when its contents outgrow the budget', async () => {
    // 40 deltas of 1 KiB on a 4 KiB base, each rebuilding 1 MiB: cheap to send, 40 MiB to return.
    const base = Buffer.alloc(4096, 0x61);
    const copyWholeBase = [0x80 | 0x20, 0x10];
    const expand = (byte: number) =>
      Buffer.from([
        0x80,
        0x20,
        0x81,
        0x80,
        0x40,
        ...Array<number[]>(256).fill(copyWholeBase).flat(),
        1,
        byte,
      ]);
    const first = blobEntry(base);
    const entries = [first];
    let offset = first.length;
    for (let i = 0; i < 40; i++) {
      const entry = ofsDelta(offset, expand(i));
      entries.push(entry);
      offset += entry.length;
    }
    const pack = packOf(entries);
    const read = async (options: PackReaderOptions) => {
      const sizes: number[] = [];
      const result = await readPack(chunksOf(pack, 65536), {
        ...options,
        onObject: (object, content) => void sizes.push(content.data.length),
      });
      return { ids: result.objects.map((o) => o.id), sizes };
    };
    const single = await read({});
    expect(single.sizes.filter((size) => size === (1 << 20) + 1)).toHaveLength(40);
    expect(await read(THREADED)).toEqual(single);
  });

  it('hands out empty objects rebuilt by deltas, on worker threads too', async () => {
    const first = blobEntry(HELLO);
    // Takes nothing from the base: the result is the empty blob.
    const pack = packOf([first, ofsDelta(first.length, Buffer.from([HELLO.length, 0]))]);
    for (const options of [{}, THREADED]) {
      const sizes: number[] = [];
      const result = await readPack(chunksOf(pack), {
        ...options,
        onObject: (object, content) => void sizes.push(content.data.length),
      });
      expect(result.objects[1]).toMatchObject({ id: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391', size: 0 });
      expect(sizes).toEqual([HELLO.length, 0]);
    }
  });

  it('resolves on the calling thread when its workers are lost', async () => {
    const first = blobEntry(HELLO);
    const pack = packOf([first, ofsDelta(first.length, appendDelta(HELLO.length, 0x21))]);
    const pool = sharedResolveWorkerPool(2);
    expect(await pool.ready).toBe(true);
    async function* closingPoolMidway(): AsyncGenerator<Buffer> {
      yield pack.subarray(0, 12);
      await pool.close();
      yield pack.subarray(12);
    }
    const result = await readPack(closingPoolMidway(), THREADED);
    expect(result.objects.map((o) => o.depth)).toEqual([0, 1]);
    expect(sharedResolveWorkerPool(2)).not.toBe(pool);
  });

  it('reads an empty pack and empty objects', async () => {
    expect((await readPack(chunksOf(packOf([])))).objects).toEqual([]);
    const result = await readPack(chunksOf(packOf([blobEntry(Buffer.alloc(0))])));
    expect(result.objects[0]!.id).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });

  const good = packOf([blobEntry(HELLO)]);
  it.each([
    ['an empty input', Buffer.alloc(0), 'pack_truncated'],
    ['a cut header', good.subarray(0, 8), 'pack_truncated'],
    ['a cut entry', good.subarray(0, 20), 'pack_truncated'],
    ['a missing trailer', good.subarray(0, good.length - 20), 'pack_truncated'],
    ['a cut trailer', good.subarray(0, good.length - 3), 'pack_truncated'],
    [
      'a bad trailer',
      Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good.at(-1)! ^ 1])]),
      'pack_bad_checksum',
    ],
    ['trailing garbage', Buffer.concat([good, Buffer.from('x')]), 'pack_trailing_garbage'],
    ['a bad signature', Buffer.concat([Buffer.from('KCAP'), good.subarray(4)]), 'pack_bad_signature'],
    [
      'version 4',
      Buffer.concat([good.subarray(0, 7), Buffer.from([4]), good.subarray(8)]),
      'pack_bad_version',
    ],
    ['one object more than present', packOf([blobEntry(HELLO)], 2), 'pack_truncated'],
    [
      'one object fewer than present',
      packOf([blobEntry(HELLO), blobEntry(HELLO)], 1),
      'pack_trailing_garbage',
    ],
    [
      'entry type 5',
      packOf([Buffer.concat([Buffer.from([0x50 | 1]), zlib.deflateSync(Buffer.from('x'))])]),
      'pack_bad_entry_type',
    ],
    ['a size that lies low', packOf([blobEntry(HELLO, 3)]), 'pack_size_mismatch'],
    ['a size that lies high', packOf([blobEntry(HELLO, 1000)]), 'pack_size_mismatch'],
    [
      'a stream that is not zlib',
      packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Blob, 3), Buffer.from('not zlib at all')])]),
      'pack_bad_zlib',
    ],
    [
      'an OFS base before the pack',
      packOf([blobEntry(HELLO), ofsDelta(1000, appendDelta(HELLO.length, 1))]),
      'pack_bad_delta_base',
    ],
    [
      'an OFS base at its own offset',
      packOf([blobEntry(HELLO), ofsDelta(0, appendDelta(HELLO.length, 1))]),
      'pack_bad_delta_base',
    ],
    [
      'an OFS base inside an entry',
      packOf([blobEntry(HELLO), ofsDelta(3, appendDelta(HELLO.length, 1))]),
      'pack_bad_delta_base',
    ],
    ['a missing REF base', packOf([refDelta('1'.repeat(40), appendDelta(5, 1))]), 'pack_missing_base'],
    [
      'a delta copying out of bounds',
      packOf([blobEntry(HELLO), refDelta(HELLO_ID, Buffer.from([HELLO.length, 10, 0x91, 20, 10]))]),
      'delta_copy_out_of_bounds',
    ],
    [
      'a delta for another base size',
      packOf([blobEntry(HELLO), refDelta(HELLO_ID, appendDelta(3, 1))]),
      'delta_base_size_mismatch',
    ],
    [
      'an OFS delta copying out of bounds',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, Buffer.from([HELLO.length, 10, 0x91, 20, 10]))]);
      })(),
      'delta_copy_out_of_bounds',
    ],
    [
      'an OFS delta for another base size',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, appendDelta(3, 1))]);
      })(),
      'delta_base_size_mismatch',
    ],
    [
      'an empty OFS delta',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, Buffer.alloc(0))]);
      })(),
      'delta_truncated',
    ],
    [
      'an OFS delta with the reserved opcode',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, Buffer.from([HELLO.length, 1, 0]))]);
      })(),
      'delta_bad_opcode',
    ],
    [
      'an OFS delta inserting past its result',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, Buffer.from([HELLO.length, 1, 2, 0x41, 0x42]))]);
      })(),
      'delta_insert_out_of_bounds',
    ],
    [
      'an OFS delta copying from past 2^31 of its base',
      (() => {
        const base = blobEntry(HELLO);
        return packOf([base, ofsDelta(base.length, Buffer.from([HELLO.length, 1, 0x98, 0x80, 1]))]);
      })(),
      'delta_copy_out_of_bounds',
    ],
    [
      'an OFS delta whose entry declares a size too small',
      (() => {
        const base = blobEntry(HELLO);
        const delta = ofsDelta(base.length, appendDelta(HELLO.length, 1));
        // The entry header's size (one byte: type and low bits) one less than the stream's.
        delta[0]! -= 1;
        return packOf([base, delta]);
      })(),
      'pack_size_mismatch',
    ],
    [
      'an OFS delta whose stream is damaged',
      (() => {
        const base = blobEntry(HELLO);
        const delta = ofsDelta(base.length, appendDelta(HELLO.length, 1));
        delta[delta.length - 5]! ^= 0xff;
        return packOf([base, delta]);
      })(),
      'pack_bad_zlib',
    ],
    [
      'an OFS delta shorter than its result',
      (() => {
        const base = blobEntry(HELLO);
        const delta = appendDelta(HELLO.length, 1);
        delta[1]! += 5;
        return packOf([base, ofsDelta(base.length, delta)]);
      })(),
      'delta_result_size_mismatch',
    ],
    [
      'a cut OFS delta entry',
      (() => {
        const base = blobEntry(HELLO);
        const pack = packOf([base, ofsDelta(base.length, appendDelta(HELLO.length, 1))]);
        return pack.subarray(0, pack.length - 24);
      })(),
      'pack_truncated',
    ],
  ])('rejects %s', async (_name, pack, code) => {
    expect(await codeOf(readPack(chunksOf(pack)))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack), { forceInflateFallback: true }))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack), THREADED))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack), RECENT))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack, pack.length), RECENT))).toBe(code);
  });

  it('rejects REF deltas whose bases form a cycle', async () => {
    // Each names the other's (future) id as its base; neither can ever be resolved.
    const a = hashObject('blob', Buffer.from('a'));
    const b = hashObject('blob', Buffer.from('b'));
    const pack = packOf([
      refDelta(b, Buffer.from([1, 1, 1, 0x61])),
      refDelta(a, Buffer.from([1, 1, 1, 0x62])),
    ]);
    expect(await codeOf(readPack(chunksOf(pack)))).toBe('pack_missing_base');
    expect(await codeOf(readPack(chunksOf(pack), { resolveExternalBase: async () => undefined }))).toBe(
      'pack_missing_base',
    );
    expect(await codeOf(readPack(chunksOf(pack), THREADED))).toBe('pack_missing_base');
  });

  it.each([
    ['too many objects', encodePackHeader(0xffffffff), { maxObjects: 1000 }, 'pack_too_many_objects'],
    [
      'an absurd object size',
      packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Blob, 2 ** 40), zlib.deflateSync(HELLO)])]),
      {},
      'pack_object_too_large',
    ],
    ['an object over the limit', packOf([blobEntry(HELLO)]), { maxObjectSize: 10 }, 'pack_object_too_large'],
    ['a pack over the limit', packOf([blobEntry(HELLO)]), { maxPackSize: 30 }, 'pack_too_large'],
    [
      'a tag over the non-blob limit (a blob of that size passes)',
      packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Tag, HELLO.length), zlib.deflateSync(HELLO)])]),
      { maxNonBlobSize: HELLO.length - 1 },
      'pack_object_too_large',
    ],
    [
      'a delta building a tree over the non-blob limit',
      (() => {
        const tree = Buffer.concat([
          encodeEntryHeader(PackEntryType.Tree, HELLO.length),
          zlib.deflateSync(HELLO),
        ]);
        return packOf([tree, ofsDelta(tree.length, appendDelta(HELLO.length, 0x41))]);
      })(),
      { maxNonBlobSize: HELLO.length },
      'delta_result_too_large',
    ],
    [
      'a delta result over the limit',
      packOf([blobEntry(HELLO), refDelta(HELLO_ID, Buffer.from([HELLO.length, 0xff, 0xff, 0x7f, 1, 0x41]))]),
      { maxObjectSize: 1000 },
      'delta_result_too_large',
    ],
  ])('refuses %s', async (_name, pack, limits, code) => {
    expect(await codeOf(readPack(chunksOf(pack), { limits }))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack), { limits, ...THREADED }))).toBe(code);
    expect(await codeOf(readPack(chunksOf(pack), { limits, ...RECENT }))).toBe(code);
  });

  it('stops a zlib bomb at the declared size without inflating it', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const pack = packOf([Buffer.concat([encodeEntryHeader(PackEntryType.Blob, 100), bomb])]);
    const before = process.memoryUsage().arrayBuffers;
    expect(await codeOf(readPack(chunksOf(pack)))).toBe('pack_size_mismatch');
    expect(await codeOf(readPack(chunksOf(pack), RECENT))).toBe('pack_size_mismatch');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  describe('deep delta chains', () => {
    function chain(depth: number): Buffer {
      const entries = [blobEntry(Buffer.from('x'))];
      for (let i = 1; i <= depth; i++)
        entries.push(ofsDelta(entries[i - 1]!.length, appendDelta(i, 0x61 + (i % 26))));
      return packOf(entries);
    }

    it('resolves a 3000-deep chain with a tiny cache and no recursion', async () => {
      const result = await readPack(chunksOf(chain(3000), 4096), { baseCacheBytes: 64, deltaCacheBytes: 0 });
      expect(result.objects.at(-1)).toMatchObject({ depth: 3000, size: 3001 });
      const threaded = await readPack(chunksOf(chain(3000), 4096), { deltaCacheBytes: 0, ...THREADED });
      expect(threaded.objects).toEqual(result.objects);
      const recent = await readPack(chunksOf(chain(3000), 4096), { deltaCacheBytes: 0, ...RECENT });
      expect(recent.objects).toEqual(result.objects);
    });

    it('refuses chains deeper than the limit', async () => {
      expect(await codeOf(readPack(chunksOf(chain(60)), { limits: { maxDeltaDepth: 50 } }))).toBe(
        'pack_delta_chain_too_deep',
      );
      expect(
        await codeOf(readPack(chunksOf(chain(60)), { limits: { maxDeltaDepth: 50 }, ...THREADED })),
      ).toBe('pack_delta_chain_too_deep');
      expect(await codeOf(readPack(chunksOf(chain(60)), { limits: { maxDeltaDepth: 50 }, ...RECENT }))).toBe(
        'pack_delta_chain_too_deep',
      );
    });
  });

  describe('deltas applied as they are scanned (recentContentBytes)', () => {
    /** Blobs of `size` bytes, each followed by a chain of `depth` OFS deltas on it. */
    function chains(count: number, size: number, depth: number): { pack: Buffer; bases: Buffer[] } {
      const entries: Buffer[] = [];
      const bases: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const base = Buffer.alloc(size, 0x41 + (i % 26));
        base.writeUInt32BE(i);
        bases.push(base);
        entries.push(blobEntry(base));
        for (let d = 1; d <= depth; d++)
          entries.push(ofsDelta(entries.at(-1)!.length, appendDelta(size + d - 1, 0x30 + d)));
      }
      return { pack: packOf(entries), bases };
    }

    /** Counts the spool's reads: a delta applied in the scan is never read back. */
    function countingSpool() {
      const chunks: Buffer[] = [];
      const spool = {
        reads: 0,
        append: (chunk: Buffer) => void chunks.push(chunk),
        read(offset: number, length: number): Buffer {
          spool.reads++;
          return Buffer.concat(chunks).subarray(offset, offset + length);
        },
      };
      return spool;
    }

    async function read(pack: Buffer, options: PackReaderOptions, chunk = 7) {
      const order: string[] = [];
      const contents: string[] = [];
      const spool = countingSpool();
      const result = await readPack(chunksOf(pack, chunk), {
        spool,
        ...options,
        onObject: (object, content) => {
          if (object.deltaBase) expect(order).toContain(object.deltaBase);
          order.push(object.id);
          expect(hashObject(object.type, content.data)).toBe(object.id);
          contents.push(`${object.id} ${content.data.toString('latin1')} ${content.raw.toString('hex')}`);
        },
      });
      return { objects: result.objects, contents: contents.sort(), reads: spool.reads };
    }

    it('gives the same objects and contents, bases first, without reading deltas back', async () => {
      const { pack } = chains(20, 300, 5);
      const plain = await read(pack, { threads: 1 });
      const recent = await read(pack, RECENT);
      expect(recent.objects).toEqual(plain.objects);
      expect(recent.contents).toEqual(plain.contents);
      expect(plain.reads).toBeGreaterThan(0);
      // Every entry lies in one received chunk: nothing is read back at all.
      expect((await read(pack, RECENT, pack.length)).reads).toBe(0);
    });

    it('leaves to the resolver the deltas whose bases left a small ring, with the same results', async () => {
      // 4 KiB bases in a 16 KiB ring: a base's first deltas still find it, later ones do not.
      const { pack } = chains(6, 4096, 6);
      const plain = await read(pack, { threads: 1, deltaCacheBytes: 0 });
      for (const recentContentBytes of [16 << 10, 40 << 10, 1 << 20]) {
        const recent = await read(pack, { threads: 1, deltaCacheBytes: 0, recentContentBytes });
        expect(recent.objects).toEqual(plain.objects);
        expect(recent.contents).toEqual(plain.contents);
      }
      expect(
        (await read(pack, { threads: 1, deltaCacheBytes: 0, recentContentBytes: 16 << 10 }, pack.length))
          .reads,
      ).toBeGreaterThan(0);
    });

    it('applies REF deltas on objects still in the ring too, and leaves the others', async () => {
      // Chains of REF deltas, each naming the id of the object before it; one names a later object.
      const entries: Buffer[] = [];
      let previous = Buffer.from(HELLO);
      for (let i = 0; i < 40; i++) {
        if (i % 10 === 0) {
          previous = Buffer.alloc(2000, 0x61 + i);
          entries.push(blobEntry(previous));
        }
        entries.push(refDelta(hashObject('blob', previous), appendDelta(previous.length, 0x30 + i)));
        previous = Buffer.concat([previous, Buffer.from([0x30 + i])]);
      }
      const later = Buffer.from('a base further on');
      entries.push(refDelta(hashObject('blob', later), appendDelta(later.length, 0x21)), blobEntry(later));
      const pack = packOf(entries);
      const plain = await read(pack, { threads: 1 });
      expect(plain.objects.filter((o) => o.depth > 0)).toHaveLength(41);
      for (const recentContentBytes of [1 << 20, 12 << 10]) {
        const recent = await read(pack, { threads: 1, recentContentBytes });
        expect(recent.objects).toEqual(plain.objects);
        expect(recent.contents).toEqual(plain.contents);
      }
      // In one chunk with a big ring, only the delta on a later base, and that base, are read back.
      const whole = await read(
        pack,
        { threads: 1, recentContentBytes: 1 << 20, deltaCacheBytes: 0 },
        pack.length,
      );
      expect(whole.reads).toBe(2);
    });

    it('mixes with REF deltas, which the resolver applies', async () => {
      const first = blobEntry(HELLO);
      const second = ofsDelta(first.length, appendDelta(HELLO.length, 0x21));
      const pack = packOf([
        first,
        second,
        refDelta(HELLO_ID, appendDelta(HELLO.length, 0x3f)),
        ofsDelta(
          second.length + refDelta(HELLO_ID, appendDelta(HELLO.length, 0x3f)).length,
          appendDelta(HELLO.length + 1, 0x22),
        ),
      ]);
      const plain = await read(pack, { threads: 1 });
      const recent = await read(pack, RECENT);
      expect(recent.objects.map((o) => o.depth)).toEqual([0, 1, 1, 2]);
      expect(recent.objects).toEqual(plain.objects);
      expect(recent.contents).toEqual(plain.contents);
    });

    it('hands the same objects by raw ids (onRawObject), from the scan and from the resolver', async () => {
      const { pack } = chains(6, 4096, 6);
      const first = blobEntry(HELLO);
      const withRef = packOf([first, refDelta(HELLO_ID, appendDelta(HELLO.length, 0x3f))]);
      for (const [input, options] of [
        [pack, { threads: 1 }],
        [pack, { threads: 1, deltaCacheBytes: 0, recentContentBytes: 16 << 10 }],
        [pack, RECENT],
        [pack, THREADED],
        [withRef, RECENT],
      ] as const) {
        const hex: string[] = [];
        const raw: string[] = [];
        const describe = (
          id: string,
          base: string | undefined,
          deltaSize: number | undefined,
          data: Buffer,
        ) => `${id} ${base ?? '-'} ${deltaSize ?? -1} ${data.toString('latin1')}`;
        const byHex = await readPack(chunksOf(input, 7), {
          ...options,
          onObject: (object, content) =>
            void hex.push(describe(object.id, object.deltaBase, object.deltaSize, content.data)),
        });
        const byRaw = await readPack(chunksOf(input, 7), {
          ...options,
          onRawObject: (object, content) => {
            const id = object.ids.toString('hex', object.idAt, object.idAt + 20);
            const base =
              object.baseIdAt < 0
                ? undefined
                : object.ids.toString('hex', object.baseIdAt, object.baseIdAt + 20);
            expect(hashObject(object.type, content.data)).toBe(id);
            expect(object.size).toBe(content.data.length);
            raw.push(describe(id, base, object.deltaSize < 0 ? undefined : object.deltaSize, content.data));
          },
        });
        expect(raw.sort()).toEqual(hex.sort());
        expect(byRaw.objects).toEqual(byHex.objects);
      }
    });

    it('is not used with worker threads, whose results stay the same', async () => {
      const { pack } = chains(3, 100, 3);
      const plain = await read(pack, { threads: 1 });
      const threaded = await read(pack, { ...THREADED, recentContentBytes: 1 << 20 });
      expect(threaded.objects).toEqual(plain.objects);
      expect(threaded.contents).toEqual(plain.contents);
    });
  });
});
