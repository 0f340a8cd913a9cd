import { describe, expect, it } from 'vitest';
import { Deflater } from '../../src/git/deflater.js';
import { Inflater } from '../../src/git/inflater.js';
import { hashObject } from '../../src/git/object.js';
import { SHA1 } from '../../src/git/object-format.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { PackIndex, writePackIndex } from '../../src/git/pack-index.js';
import {
  decodeEntryHeader,
  encodeEntryHeader,
  encodeOfsDistance,
  MAX_ENTRY_HEADER_LENGTH,
  PackEntryType,
  writeEntryHeader,
  writeOfsDistance,
} from '../../src/git/pack-format.js';
import { readPack } from '../../src/git/pack-reader.js';
import type { PackedContent, PackedObject } from '../../src/git/pack-types.js';
import { PackWriter, writePackToBuffer, type PackWriteEntry } from '../support/pack-writer.js';

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

async function decode(pack: Buffer) {
  const seen: { object: PackedObject; content: PackedContent }[] = [];
  const result = await readPack(once(pack), {
    onObject: (object, content) => {
      seen.push({ object, content: { data: Buffer.from(content.data), raw: Buffer.from(content.raw) } });
    },
  });
  return { result, seen };
}

const lines = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag} line ${i} ${'x'.repeat(i % 13)}`).join('\n');
const VERSION_1 = Buffer.from(lines(300, 'v'));
const VERSION_2 = Buffer.from(`${lines(300, 'v')}\nadded at the end\n`);
const OTHER = Buffer.from('a small unrelated file\n');

function objects(): PackWriteEntry[] {
  return [
    { kind: 'object', type: 'blob', data: VERSION_2, path: 'src/file.txt' },
    { kind: 'object', type: 'blob', data: VERSION_1, path: 'src/file.txt' },
    { kind: 'object', type: 'blob', data: OTHER, path: 'README' },
    { kind: 'object', type: 'blob', data: OTHER, path: 'COPY' },
  ];
}

describe('pack format vectors', () => {
  it.each([
    [PackEntryType.Blob, 0, [0x30]],
    [PackEntryType.Blob, 15, [0x3f]],
    [PackEntryType.Commit, 16, [0x90, 0x01]],
    [PackEntryType.Tree, 1000, [0xa8, 0x3e]],
    [PackEntryType.OfsDelta, 2 ** 35, [0xe0, 0x80, 0x80, 0x80, 0x80, 0x08]],
  ])('entry header of type %i size %i', (type, size, bytes) => {
    expect([...encodeEntryHeader(type, size)]).toEqual(bytes);
    const withOfs =
      type === PackEntryType.OfsDelta
        ? Buffer.concat([Buffer.from(bytes), encodeOfsDistance(1)])
        : Buffer.from(bytes);
    expect(decodeEntryHeader(withOfs, 0, 20)).toMatchObject({ code: type, size });
  });

  it.each([
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x00]],
    [16511, [0xff, 0x7f]],
    [16512, [0x80, 0x80, 0x00]],
  ])('OFS distance %i', (distance, bytes) => {
    expect([...encodeOfsDistance(distance)]).toEqual(bytes);
    const header = Buffer.concat([encodeEntryHeader(PackEntryType.OfsDelta, 5), Buffer.from(bytes)]);
    expect(decodeEntryHeader(header, 0, 20)?.ofsDistance).toBe(distance);
  });

  it('writes headers (sizes up to 2^53) and distances in place, at any offset', () => {
    const target = Buffer.alloc(3 + 2 * MAX_ENTRY_HEADER_LENGTH, 0xee);
    for (const value of [0, 1, 15, 16, 127, 128, 16511, 16512, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) {
      const headerEnd = writeEntryHeader(target, 3, PackEntryType.OfsDelta, value);
      expect(target.subarray(3, headerEnd)).toEqual(encodeEntryHeader(PackEntryType.OfsDelta, value));
      const distance = Math.min(Math.max(1, value), 2 ** 45);
      const end = writeOfsDistance(target, headerEnd, distance);
      expect(end - 3).toBeLessThanOrEqual(2 * MAX_ENTRY_HEADER_LENGTH);
      expect(target.subarray(headerEnd, end)).toEqual(encodeOfsDistance(distance));
      expect(decodeEntryHeader(target.subarray(0, end), 3, 2 ** 53)).toMatchObject({
        code: PackEntryType.OfsDelta,
        size: value,
        ofsDistance: distance,
      });
      expect(target[2]).toBe(0xee);
    }
  });

  it('asks for more input on partial headers', () => {
    expect(decodeEntryHeader(Buffer.from([0x90]), 0, 20)).toBeUndefined();
    expect(decodeEntryHeader(Buffer.from([0x70, 1, 2]), 0, 20)).toBeUndefined();
  });
});

describe('PackWriter', () => {
  it('deltifies similar objects, dedupes, and round-trips through the reader', async () => {
    const { pack, summary } = await writePackToBuffer(objects());
    const { result, seen } = await decode(pack);
    expect(result.objects).toHaveLength(3);
    expect(result.checksum).toEqual(summary.checksum);
    const byId = new Map(seen.map((s) => [s.object.id, s]));
    const v1 = byId.get(hashObject('blob', VERSION_1))!;
    expect(v1.object.deltaBase).toBe(hashObject('blob', VERSION_2));
    expect(v1.content.data).toEqual(VERSION_1);
    expect(byId.get(hashObject('blob', OTHER))!.object.deltaBase).toBeUndefined();
    expect(summary.objects.map((o) => o.offset)).toEqual(result.objects.map((o) => o.offset));
  });

  it('streams in several chunks for large packs', async () => {
    const many: PackWriteEntry[] = Array.from({ length: 200 }, (_, i) => ({
      kind: 'object',
      type: 'blob',
      data: Buffer.concat(Array.from({ length: 200 }, (_, j) => SHA1.hash(Buffer.from(`${i}/${j}`)))),
    }));
    const writer = new PackWriter(many, { window: 0 });
    const chunks: Buffer[] = [];
    for await (const chunk of writer.chunks()) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const { result } = await decode(Buffer.concat(chunks));
    expect(result.objects).toHaveLength(200);
  });

  it('writes stored deltas as REF_DELTA when ofs-delta is off, and their bases first', async () => {
    const { seen } = await decode((await writePackToBuffer(objects())).pack);
    const stored: PackWriteEntry[] = seen.map(({ object, content }) =>
      object.deltaBase
        ? { kind: 'delta', id: object.id, baseId: object.deltaBase, raw: content.raw }
        : { kind: 'deflated', id: object.id, type: object.type, size: object.size, raw: content.raw },
    );
    const { pack } = await writePackToBuffer([...stored].reverse(), { ofsDelta: false });
    const again = await decode(pack);
    const delta = again.result.objects.find((o) => o.deltaBase)!;
    expect(delta.headerLength).toBeGreaterThan(20);
    expect(again.result.objects.indexOf(delta)).toBeGreaterThan(0);
  });

  it('refuses stored deltas that form a cycle', async () => {
    const a = 'a'.repeat(40) as ObjectId;
    const b = 'b'.repeat(40) as ObjectId;
    const raw = new Deflater().deflate(Buffer.from([1, 1, 1, 0x61]));
    await expect(
      writePackToBuffer([
        { kind: 'delta', id: a, baseId: b, raw },
        { kind: 'delta', id: b, baseId: a, raw },
      ]),
    ).rejects.toMatchObject({ code: 'pack_write_delta_cycle' });
  });
});

describe('zlib helpers', () => {
  it.each([false, true])('deflate/inflate round trip (fallback %s)', (forceFallback) => {
    const deflater = new Deflater(undefined, { forceFallback });
    const inflater = new Inflater({ forceFallback });
    expect(deflater.isNative).toBe(!forceFallback);
    for (const data of [Buffer.alloc(0), VERSION_1, Buffer.alloc(3 << 20, 7)]) {
      const stream = Buffer.concat([deflater.deflate(data), Buffer.from('next')]);
      inflater.begin(data.length);
      const result = inflater.push(stream, 0, stream.length);
      expect(result).toEqual({ consumed: stream.length - 4, done: true });
      expect(inflater.output().equals(data)).toBe(true);
    }
  });
});

describe('pack index', () => {
  it('uses the 64-bit offset table past 2 GiB and finds every entry', () => {
    const entries = [
      { id: 'ff'.repeat(20) as ObjectId, offset: 12, crc32: 1 },
      { id: '00'.repeat(20) as ObjectId, offset: 2 ** 31, crc32: 0xffffffff },
      { id: '7f'.repeat(20) as ObjectId, offset: 2 ** 33 + 5, crc32: 3 },
    ];
    const idx = writePackIndex(entries, Buffer.alloc(20, 9));
    expect(idx.length).toBe(8 + 1024 + 3 * 28 + 2 * 8 + 40);
    const index = new PackIndex(idx);
    for (const entry of entries) expect(index.find(entry.id)).toEqual(entry);
    expect(index.packChecksum).toEqual(Buffer.alloc(20, 9));
    const corrupt = Buffer.from(idx);
    corrupt[100]! ^= 1;
    expect(() => new PackIndex(corrupt)).toThrow(
      expect.objectContaining({ code: 'pack_index_bad_checksum' }),
    );
    expect(() => new PackIndex(idx.subarray(0, 100))).toThrow(
      expect.objectContaining({ code: 'pack_index_bad_header' }),
    );
  });
});
