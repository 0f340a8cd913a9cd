import { describe, expect, it } from 'vitest';
import { hashObject, type ObjectType } from '../git/object.js';
import { SHA1, type ObjectFormat } from '../git/object-format.js';
import { STRICT_FSCK } from '../git/fsck-report.js';
import { ScannedTreeCursor, TreeScanner } from '../git/scanned-trees.js';
import type { PackedObject } from '../git/pack-types.js';
import {
  BATCH_BYTES,
  BATCH_OBJECTS,
  FIRST_BATCH_OBJECTS,
  DecodedBatchBuilder,
  DecodedBatchCursor,
  type DecodedBatch,
  type DecodedItem,
} from './decoded-batch.js';

/** The objects of a received batch read through its cursor, each as an item of its own (to compare). */
function* decodedItems(batch: DecodedBatch, format: ObjectFormat): Generator<DecodedItem> {
  const cursor = new DecodedBatchCursor(batch, format);
  while (cursor.next()) {
    const { id, size, raw, rawIds, rawAt } = cursor;
    if (cursor.kind === 'large-blob') {
      const { dataStart, compressedLength } = cursor;
      yield { kind: 'large-blob', id, size, dataStart, compressedLength };
    } else if (cursor.kind === 'whole-blob') {
      yield { kind: 'whole-blob', id, size, raw, rawIds, rawAt };
    } else {
      const { type, data, deltaSize, deltaBase } = cursor;
      const object =
        deltaSize === undefined ? { id, type, data, raw } : { id, type, data, raw, deltaSize, deltaBase };
      yield { kind: 'object', object, rawIds, rawAt };
    }
  }
}

function packed(type: ObjectType, data: Buffer, delta?: { base: Buffer; size: number }): PackedObject {
  return {
    id: hashObject(type, data, SHA1),
    type,
    size: data.length,
    offset: 12,
    crc32: 0,
    headerLength: 2,
    compressedLength: 7,
    depth: delta ? 1 : 0,
    ...(delta ? { deltaBase: hashObject(type, delta.base, SHA1), deltaSize: delta.size } : {}),
  };
}

function collect(): { batches: DecodedBatch[]; builder: DecodedBatchBuilder } {
  const batches: DecodedBatch[] = [];
  const builder = new DecodedBatchBuilder(SHA1, (batch) => batches.push(batch));
  return { batches, builder };
}

describe('decoded batches', () => {
  it('carry a scan of each tree with a tree scanner, its values transferred with the batch', () => {
    const batches: DecodedBatch[] = [];
    const transfers: ArrayBuffer[][] = [];
    const builder = new DecodedBatchBuilder(
      SHA1,
      (batch, transfer) => {
        batches.push(batch);
        transfers.push(transfer);
      },
      new TreeScanner(SHA1, STRICT_FSCK),
    );
    const tree = Buffer.from('100644 a\0' + 'x'.repeat(20) + '100644 .git\0' + 'y'.repeat(20));
    const blob = Buffer.from('hello\n');
    builder.addObject(packed('blob', blob), { data: blob, raw: Buffer.from('zlib-blob') });
    builder.flush();
    builder.addObject(packed('tree', tree), { data: tree, raw: Buffer.from('zlib-tree') });
    builder.flush();
    expect(batches[0]!.trees).toBeUndefined();
    const scanned = batches[1]!.trees!;
    expect(transfers[1]).toContain(scanned.values.buffer);
    const read = new ScannedTreeCursor(scanned).next();
    expect(read.entriesEnd - read.entriesStart).toBe(4);
    expect(read.findings.map((finding) => finding.id)).toEqual(['hasDotgit', 'treeNotSorted']);
  });

  it('carry whole objects, deltas and streamed blobs in order, with their bytes', () => {
    const { batches, builder } = collect();
    const tree = Buffer.from('100644 a\0' + 'x'.repeat(20));
    const blob = Buffer.from('hello\n');
    builder.addObject(packed('tree', tree), { data: tree, raw: Buffer.from('zlib-tree') });
    builder.addObject(packed('blob', blob, { base: Buffer.from('hell'), size: 9 }), {
      data: blob,
      raw: Buffer.from('zlib-delta'),
    });
    builder.addLargeBlob(packed('blob', Buffer.from('big')), 4242);
    builder.flush();
    expect(batches).toHaveLength(1);
    const items = [...decodedItems(batches[0]!, SHA1)];
    // Each object's raw id, then its delta base's, in the batch's id bytes.
    const rawIds = (item: (typeof items)[number]) =>
      item.kind === 'object' ? item.rawIds.toString('hex', item.rawAt, item.rawAt + 40) : undefined;
    expect(rawIds(items[0]!)).toBe(hashObject('tree', tree, SHA1) + '0'.repeat(40));
    expect(rawIds(items[1]!)).toBe(
      hashObject('blob', blob, SHA1) + hashObject('blob', Buffer.from('hell'), SHA1),
    );
    expect(items.map((item) => (item.kind === 'object' ? { ...item, rawIds: 0, rawAt: 0 } : item))).toEqual([
      {
        kind: 'object',
        rawIds: 0,
        rawAt: 0,
        object: {
          id: hashObject('tree', tree, SHA1),
          type: 'tree',
          data: tree,
          raw: Buffer.from('zlib-tree'),
        },
      },
      {
        kind: 'object',
        rawIds: 0,
        rawAt: 0,
        object: {
          id: hashObject('blob', blob, SHA1),
          type: 'blob',
          data: blob,
          raw: Buffer.from('zlib-delta'),
          deltaBase: hashObject('blob', Buffer.from('hell'), SHA1),
          deltaSize: 9,
        },
      },
      {
        kind: 'large-blob',
        id: hashObject('blob', Buffer.from('big'), SHA1),
        size: 3,
        dataStart: 4242,
        compressedLength: 7,
      },
    ]);
  });

  it('send nothing when empty, and start a new batch at the object or byte limit', () => {
    const { batches, builder } = collect();
    builder.flush();
    expect(batches).toHaveLength(0);
    const data = Buffer.from('blob');
    for (let n = 0; n <= BATCH_OBJECTS; n++) builder.addObject(packed('blob', data), { data, raw: data });
    // A tree's content travels (a whole blob's does not, see below).
    const big = Buffer.alloc(BATCH_BYTES + 1, 1);
    builder.addObject(packed('tree', big), { data: big, raw: Buffer.from('z') });
    builder.flush();
    expect(batches.map((batch) => batch.count)).toEqual([BATCH_OBJECTS, 1, 1]);
    const last = [...decodedItems(batches[2]!, SHA1)][0]!;
    expect(last.kind === 'object' && last.object.data.equals(big)).toBe(true);
  });

  it('fill a spare payload buffer handed back, and only one of the batch size', () => {
    const batches: DecodedBatch[] = [];
    const spares = [new ArrayBuffer(BATCH_BYTES), new ArrayBuffer(16), new ArrayBuffer(BATCH_BYTES)];
    const given = [...spares];
    const builder = new DecodedBatchBuilder(
      SHA1,
      (batch) => batches.push(batch),
      undefined,
      undefined,
      () => spares.shift(),
    );
    const data = Buffer.from('tree content');
    for (let n = 0; n < 3; n++) {
      builder.addObject(packed('tree', data), { data, raw: Buffer.from('z') });
      builder.flush();
    }
    // The first spare, then a fresh buffer for the one too small, then the third spare.
    expect(batches.map((batch) => given.indexOf(batch.bytes.buffer as ArrayBuffer))).toEqual([0, -1, 2]);
    for (const batch of batches) {
      const item = [...decodedItems(batch, SHA1)][0]!;
      expect(item.kind === 'object' && item.object.data.equals(data)).toBe(true);
    }
  });

  it("start and end small when the pack's object count is known, every object sent once", () => {
    const batches: DecodedBatch[] = [];
    const builder = new DecodedBatchBuilder(SHA1, (batch) => batches.push(batch), undefined, 5000);
    const data = Buffer.from('blob');
    for (let n = 0; n < 5000; n++) builder.addObject(packed('blob', data), { data, raw: data });
    builder.flush();
    expect(batches[0]!.count).toBe(FIRST_BATCH_OBJECTS);
    // Doubling up to half of what is left, then halving down to the first size.
    expect(batches.map((batch) => batch.count)).toEqual([128, 256, 512, 1024, 1540, 770, 385, 193, 128, 64]);
  });

  it('carry a whole blob as its zlib stream alone, by hex or raw ids, and its delta with its content', () => {
    const { batches, builder } = collect();
    const blob = Buffer.from('hello\n');
    const big = Buffer.alloc(BATCH_BYTES + 1, 2);
    const ids = Buffer.from(hashObject('blob', big, SHA1), 'hex');
    builder.addObject(packed('blob', blob), { data: blob, raw: Buffer.from('zlib-blob') });
    // Bigger than a batch, yet only its stream is sent: it shares the batch.
    builder.addRawObject(
      { type: 'blob', size: big.length, deltaSize: -1, ids, idAt: 0, baseIdAt: -1 },
      { data: big, raw: Buffer.from('zlib-big') },
    );
    builder.addObject(packed('blob', blob, { base: Buffer.from('hell'), size: 9 }), {
      data: blob,
      raw: Buffer.from('zlib-delta'),
    });
    builder.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.bytes.length).toBe(
      'zlib-blob'.length + 'zlib-big'.length + blob.length + 'zlib-delta'.length,
    );
    const items = [...decodedItems(batches[0]!, SHA1)].map((item) =>
      item.kind === 'large-blob'
        ? item
        : { ...item, rawIds: item.rawIds.toString('hex', item.rawAt, item.rawAt + 20) },
    );
    expect(items[0]).toEqual({
      kind: 'whole-blob',
      id: hashObject('blob', blob, SHA1),
      size: blob.length,
      raw: Buffer.from('zlib-blob'),
      rawIds: hashObject('blob', blob, SHA1),
      rawAt: 0,
    });
    expect(items[1]).toEqual({
      kind: 'whole-blob',
      id: hashObject('blob', big, SHA1),
      size: big.length,
      raw: Buffer.from('zlib-big'),
      rawIds: hashObject('blob', big, SHA1),
      rawAt: 40,
    });
    expect(items[2]).toMatchObject({
      kind: 'object',
      object: { data: blob, raw: Buffer.from('zlib-delta') },
    });
  });

  it('refuse a left-out content on anything but a whole blob', () => {
    const { batches, builder } = collect();
    const data = Buffer.from('x');
    builder.addObject(packed('blob', data), { data, raw: data });
    builder.flush();
    batches[0]!.fields[0] = 2; // a tree's code on a row without content
    expect(() => [...decodedItems(batches[0]!, SHA1)]).toThrow(
      expect.objectContaining({ code: 'pack_bad_entry_type' }),
    );
  });

  it('refuse an object type code no object has', () => {
    const { batches, builder } = collect();
    const data = Buffer.from('x');
    builder.addObject(packed('blob', data), { data, raw: data });
    builder.flush();
    batches[0]!.fields[0] = 6; // OFS_DELTA: never the type of a decoded object
    expect(() => [...decodedItems(batches[0]!, SHA1)]).toThrow(
      expect.objectContaining({ code: 'pack_bad_entry_type' }),
    );
  });

  it('carry objects added by raw ids as those added by hex ids', () => {
    const hex = collect();
    const raw = collect();
    const tree = Buffer.from('100644 a\0' + 'x'.repeat(20));
    const blob = Buffer.from('hello\n');
    const base = Buffer.from('hell');
    const ids = Buffer.concat([
      Buffer.from(hashObject('tree', tree, SHA1), 'hex'),
      Buffer.from(hashObject('blob', base, SHA1), 'hex'),
      Buffer.from(hashObject('blob', blob, SHA1), 'hex'),
    ]);
    hex.builder.addObject(packed('tree', tree), { data: tree, raw: Buffer.from('zlib-tree') });
    hex.builder.addObject(packed('blob', blob, { base, size: 9 }), {
      data: blob,
      raw: Buffer.from('zlib-delta'),
    });
    raw.builder.addRawObject(
      { type: 'tree', size: tree.length, deltaSize: -1, ids, idAt: 0, baseIdAt: -1 },
      { data: tree, raw: Buffer.from('zlib-tree') },
    );
    raw.builder.addRawObject(
      { type: 'blob', size: blob.length, deltaSize: 9, ids, idAt: 40, baseIdAt: 20 },
      { data: blob, raw: Buffer.from('zlib-delta') },
    );
    hex.builder.flush();
    raw.builder.flush();
    const items = (batch: DecodedBatch) =>
      [...decodedItems(batch, SHA1)].map((item) =>
        item.kind === 'object'
          ? { ...item, rawIds: item.rawIds.toString('hex', item.rawAt, item.rawAt + 40) }
          : item,
      );
    expect(items(raw.batches[0]!)).toEqual(items(hex.batches[0]!));
    expect(items(raw.batches[0]!)[0]).toMatchObject({
      rawIds: hashObject('tree', tree, SHA1) + '0'.repeat(40),
    });
  });
});
