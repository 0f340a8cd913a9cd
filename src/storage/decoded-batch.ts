import type { ObjectFormat } from '../git/object-format.js';
import { objectIdFromRaw, type ObjectId } from '../git/object-id.js';
import { codeOfObjectType, objectTypeOfCode } from '../git/pack-format.js';
import type { ObjectType } from '../git/object.js';
import type { PackedContent, PackedObject, RawPackedContent, RawPackedObject } from '../git/pack-types.js';
import type { ScannedTrees, TreeScanner } from '../git/scanned-trees.js';
import { invalid } from '../platform/errors.js';
import type { IncomingObject } from './object-writer.js';

/** Objects per batch at most (the writer's rows per flush). */
export const BATCH_OBJECTS = 2000;
/**
 * Objects in a pack's first batch when the builder knows the pack's size (`expectedObjects`):
 * the request's thread waits for it, so it is small, and each next one twice as big up to
 * `BATCH_OBJECTS`; near the end they shrink again to half of what is left, so the writes of the
 * last batch, which nothing overlaps, are short too.
 */
export const FIRST_BATCH_OBJECTS = 128;
/** Payload bytes after which a batch is sent (a bigger single object gets a batch of its own). */
export const BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Numbers per object in `fields`: type code, size, data length, raw length, delta size (-1 for a
 * whole object), how its content travels (`CONTENT_*`), a big blob's zlib stream's start and
 * length in the spool.
 */
const FIELDS = 8;
const NO_DELTA = -1;
/** Inflated content, then the zlib stream as received. */
const CONTENT_SENT = 0;
/** A big blob left in the spool: the writer streams it from there. */
const CONTENT_IN_SPOOL = 1;
/** A whole blob: only its zlib stream (see `DecodedBatchBuilder.addContent`). */
const CONTENT_LEFT_OUT = 2;

/**
 * Objects decoded on the ingest's worker thread, on their way to the writer on the request's
 * thread: typed arrays whose buffers are transferred (not copied) with the message, so one
 * `postMessage` carries up to `BATCH_OBJECTS` objects for the cost of one copy of their bytes.
 */
export interface DecodedBatch {
  readonly count: number;
  readonly fields: Float64Array;
  /** Two raw ids per object: its own, then its delta base (zeros for a whole object). */
  readonly ids: Uint8Array;
  /** Each object's inflated content, then its zlib stream as received. */
  readonly bytes: Uint8Array;
  /** With a `TreeScanner`: the scan of each tree of the batch, in order. */
  readonly trees?: ScannedTrees;
}

/** One object of a batch, as the writer takes it; or a big blob to stream from the spool. */
export type DecodedItem =
  | {
      readonly kind: 'object';
      readonly object: IncomingObject & { readonly raw: Buffer };
      /**
       * The object's raw id is `rawIds[rawAt…]`, its delta base's (if any) right after it: fsck,
       * the graph and the writer number ids by their raw bytes, so they take these instead of
       * parsing the hex ids back.
       */
      readonly rawIds: Buffer;
      readonly rawAt: number;
    }
  | {
      /**
       * A blob stored whole in the pack, without its inflated content: the writer stores `raw` as
       * it is, and nobody else reads a blob's content during the ingest but fsck, for a
       * `.gitmodules`/`.gitattributes` blob, which it then reads back from the written rows.
       */
      readonly kind: 'whole-blob';
      readonly id: ObjectId;
      readonly size: number;
      readonly raw: Buffer;
      readonly rawIds: Buffer;
      readonly rawAt: number;
    }
  | {
      readonly kind: 'large-blob';
      readonly id: ObjectId;
      readonly size: number;
      readonly dataStart: number;
      readonly compressedLength: number;
    };

/** Collects decoded objects into batches and hands each full one to `send` with its buffers. */
export class DecodedBatchBuilder {
  private fields = new Float64Array(BATCH_OBJECTS * FIELDS);
  private ids: Buffer;
  private bytes: Buffer;
  private count = 0;
  private used = 0;
  /** Objects the current batch takes at most. */
  private limit = BATCH_OBJECTS;
  /** Objects still to come after the current batch's (with `expectedObjects`). */
  private left = 0;

  constructor(
    private readonly format: ObjectFormat,
    private readonly send: (batch: DecodedBatch, transfer: ArrayBuffer[]) => void,
    /** Scans each tree by fsck's rules as it is added, for the request's thread's `PackFsck`. */
    private readonly treeScanner?: TreeScanner,
    /** The pack's object count, when known: batches then ramp up and taper off (`FIRST_BATCH_OBJECTS`). */
    private readonly expectedObjects?: number,
    /**
     * A written batch's payload buffer of `BATCH_BYTES`, handed back for reuse, if one is
     * waiting: its pages are already mapped, a fresh buffer's fault in as they are filled.
     */
    private readonly spareBytes?: () => ArrayBuffer | undefined,
  ) {
    this.ids = this.newIds();
    this.bytes = this.batchBytes();
    if (expectedObjects !== undefined) {
      this.left = expectedObjects;
      this.limit = this.nextLimit(FIRST_BATCH_OBJECTS);
    }
  }

  addObject(object: PackedObject, content: PackedContent): void {
    this.makeRoom(sentBytes(object.type, object.deltaSize ?? NO_DELTA, content));
    const at = this.startRow(object);
    this.addContent(at, object.type, object.deltaSize ?? NO_DELTA, content);
  }

  /** An object with raw ids (the reader's `onRawObject`): no hex id is parsed. */
  addRawObject(object: RawPackedObject, content: RawPackedContent): void {
    this.makeRoom(sentBytes(object.type, object.deltaSize, content));
    const index = this.count++;
    const at = this.rowFields(index, object.type, object.size, object.deltaSize);
    const rawLength = this.format.rawLength;
    const idAt = 2 * index * rawLength;
    copyId(object.ids, object.idAt, this.ids, idAt, rawLength);
    if (object.baseIdAt >= 0) copyId(object.ids, object.baseIdAt, this.ids, idAt + rawLength, rawLength);
    else this.ids.fill(0, idAt + rawLength, idAt + 2 * rawLength);
    this.addContent(at, object.type, object.deltaSize, content);
  }

  /**
   * Copies the object's bytes into the batch. A whole blob's inflated content is left out: the
   * writer stores its zlib stream as received, and no one else on the request's thread reads it
   * but fsck, for a dotfile (it reads those back from the written rows). Whole blobs are most of
   * a pack's inflated bytes (the `large` bench pack: 495 of 885 MB); see docs/scale.md, "The
   * large push's two phases".
   */
  private addContent(at: number, type: ObjectType, deltaSize: number, content: RawPackedContent): void {
    const { raw } = content;
    if (type === 'tree') this.treeScanner?.scan(content.data);
    const data = leavesContentOut(type, deltaSize) ? undefined : content.data;
    if (!data) this.fields[at + 5] = CONTENT_LEFT_OUT;
    const dataLength = data?.length ?? 0;
    this.fields[at + 2] = dataLength;
    this.fields[at + 3] = raw.length;
    // `set`, not `Buffer#copy`: the same memcpy without the per-call argument handling, which
    // showed in the decode thread's profile at ~2 calls per object.
    if (data) this.bytes.set(data, this.used);
    this.bytes.set(raw, this.used + dataLength);
    this.used += dataLength + raw.length;
  }

  /** A blob too big to hand over whole: the writer streams it from the spool. */
  addLargeBlob(object: PackedObject, dataStart: number): void {
    this.makeRoom(0);
    const at = this.startRow(object);
    this.fields[at + 5] = CONTENT_IN_SPOOL;
    this.fields[at + 6] = dataStart;
    this.fields[at + 7] = object.compressedLength;
  }

  /** Sends the objects collected so far, if any. */
  flush(): void {
    if (this.count === 0) return;
    const trees = this.treeScanner && !this.treeScanner.empty ? this.treeScanner.take() : undefined;
    const batch: DecodedBatch = {
      count: this.count,
      fields: this.fields.subarray(0, this.count * FIELDS),
      ids: new Uint8Array(this.ids.buffer, this.ids.byteOffset, this.count * 2 * this.format.rawLength),
      bytes: new Uint8Array(this.bytes.buffer, 0, this.used),
      ...(trees ? { trees } : {}),
    };
    const transfer = [
      this.fields.buffer as ArrayBuffer,
      this.ids.buffer as ArrayBuffer,
      this.bytes.buffer as ArrayBuffer,
    ];
    if (trees) transfer.push(trees.values.buffer as ArrayBuffer);
    this.send(batch, transfer);
    this.fields = new Float64Array(BATCH_OBJECTS * FIELDS);
    this.ids = this.newIds();
    this.bytes = this.batchBytes();
    if (this.expectedObjects !== undefined) this.limit = this.nextLimit(2 * this.limit);
    this.count = 0;
    this.used = 0;
  }

  /** The next batch's limit: `wanted`, but at most half of the objects still to come. */
  private nextLimit(wanted: number): number {
    this.left = Math.max(0, this.left - this.count);
    const taper = Math.max(FIRST_BATCH_OBJECTS, Math.ceil(this.left / 2));
    return Math.min(BATCH_OBJECTS, wanted, taper);
  }

  private startRow(object: PackedObject): number {
    const index = this.count++;
    const at = this.rowFields(index, object.type, object.size, object.deltaSize ?? NO_DELTA);
    const rawLength = this.format.rawLength;
    this.ids.write(object.id, 2 * index * rawLength, rawLength, 'hex');
    if (object.deltaBase !== undefined)
      this.ids.write(object.deltaBase, (2 * index + 1) * rawLength, rawLength, 'hex');
    else this.ids.fill(0, (2 * index + 1) * rawLength, (2 * index + 2) * rawLength);
    return at;
  }

  /** Fills the numbers of row `index` but its content's; returns where they start. */
  private rowFields(index: number, type: ObjectType, size: number, deltaSize: number): number {
    const at = index * FIELDS;
    this.fields[at] = codeOfObjectType(type);
    this.fields[at + 1] = size;
    this.fields[at + 2] = 0;
    this.fields[at + 3] = 0;
    this.fields[at + 4] = deltaSize;
    this.fields[at + 5] = CONTENT_SENT;
    this.fields[at + 6] = 0;
    this.fields[at + 7] = 0;
    return at;
  }

  /** Sends the batch first when `bytes` more would not fit; grows it for one big object. */
  private makeRoom(bytes: number): void {
    if (this.count >= this.limit || (this.count > 0 && this.used + bytes > this.bytes.length)) this.flush();
    if (bytes > this.bytes.length) this.bytes = newBytes(bytes);
  }

  /** A payload buffer of `BATCH_BYTES`: a spare one if any, else a fresh one. */
  private batchBytes(): Buffer {
    const spare = this.spareBytes?.();
    return spare?.byteLength === BATCH_BYTES ? Buffer.from(spare) : newBytes(BATCH_BYTES);
  }

  private newIds(): Buffer {
    // Its own ArrayBuffer (never Node's shared pool), so it can be transferred.
    return Buffer.from(new ArrayBuffer(BATCH_OBJECTS * 2 * this.format.rawLength));
  }
}

/**
 * Copies one raw id: a loop over 20 or 32 bytes costs less than `Buffer#copy` of a part of a
 * buffer, which makes a view of it each time.
 */
function copyId(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number, length: number): void {
  for (let i = 0; i < length; i++) to[toAt + i] = from[fromAt + i]!;
}

/** Whether the batch carries only the zlib stream of this object (see `addContent`). */
function leavesContentOut(type: ObjectType, deltaSize: number): boolean {
  return type === 'blob' && deltaSize === NO_DELTA;
}

/** Bytes of the batch's payload the object takes. */
function sentBytes(type: ObjectType, deltaSize: number, content: RawPackedContent): number {
  return (leavesContentOut(type, deltaSize) ? 0 : content.data.length) + content.raw.length;
}

/**
 * A batch's payload buffer: its own ArrayBuffer (never Node's shared pool), so it can be
 * transferred, and not zeroed (every byte sent is written first): 4 MiB per batch add up.
 */
function newBytes(length: number): Buffer {
  return Buffer.allocUnsafeSlow(length);
}

/**
 * Reads a received batch's objects in the order they were decoded, one at a time: `next()` moves
 * to the following object and sets the fields, so reading one makes no object but its ids'
 * strings and its bytes' views. It is itself the `IncomingObject` of its current object (`kind`
 * `object`), valid until the next `next()`: the writer and fsck keep its values, never it
 * (docs/scale.md, "The request's thread of the ingest": a generator's item, its object and the
 * generator's result per object were a quarter of that thread's allocation).
 */
export class DecodedBatchCursor implements IncomingObject {
  kind: DecodedItem['kind'] = 'object';
  type: ObjectType = 'blob';
  /** The object's size (its content's length); a big blob's too. */
  size = 0;
  /** Inflated content (empty for a whole blob or a big blob). */
  data: Buffer = EMPTY;
  raw: Buffer = EMPTY;
  deltaSize: number | undefined = undefined;
  /** A big blob's zlib stream in the spool. */
  dataStart = 0;
  compressedLength = 0;
  /** The object's raw id is `rawIds[rawAt…]`, its delta base's right after it (see `DecodedItem`). */
  readonly rawIds: Buffer;
  rawAt = 0;
  private readonly payload: Buffer;
  private index = -1;
  private used = 0;
  /** The current object's hex ids, once asked for (see `id`). */
  private hexId: ObjectId | undefined = undefined;
  private hexBase: ObjectId | undefined = undefined;

  constructor(
    private readonly batch: DecodedBatch,
    private readonly format: ObjectFormat,
  ) {
    const { ids, bytes } = batch;
    this.rawIds = Buffer.from(ids.buffer, ids.byteOffset, ids.length);
    this.payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /**
   * The object's hex id, made when first asked for: PostgreSQL's rows and fsck take the raw id
   * (`rawIds`), so most objects never need a string (docs/scale.md, "PostgreSQL's object rows
   * from the raw ids").
   */
  get id(): ObjectId {
    return (this.hexId ??= objectIdFromRaw(this.rawIds, this.rawAt, this.format));
  }

  /** The delta base's hex id (undefined for a whole object), made when first asked for, as `id`. */
  get deltaBase(): ObjectId | undefined {
    if (this.deltaSize === undefined) return undefined;
    return (this.hexBase ??= objectIdFromRaw(this.rawIds, this.rawAt + this.format.rawLength, this.format));
  }

  next(): boolean {
    this.hexId = this.hexBase = undefined;
    const index = ++this.index;
    if (index >= this.batch.count) return false;
    const { fields } = this.batch;
    const at = index * FIELDS;
    const type = objectTypeOfCode(fields[at]!);
    if (type === undefined) throw invalid('pack_bad_entry_type', 'decode thread sent an unknown object type');
    const rawLength = this.format.rawLength;
    this.type = type;
    this.rawAt = 2 * index * rawLength;
    if (this.rawAt + 2 * rawLength > this.rawIds.length)
      throw invalid('invalid_object_id', 'binary object id is truncated');
    this.size = fields[at + 1]!;
    this.deltaSize = undefined;
    const content = fields[at + 5]!;
    if (content === CONTENT_IN_SPOOL) {
      this.kind = 'large-blob';
      this.data = this.raw = EMPTY;
      this.dataStart = fields[at + 6]!;
      this.compressedLength = fields[at + 7]!;
      return true;
    }
    const dataStart = this.used;
    const rawStart = dataStart + fields[at + 2]!;
    this.used = rawStart + fields[at + 3]!;
    this.raw = this.payload.subarray(rawStart, this.used);
    const deltaSize = fields[at + 4]!;
    if (content === CONTENT_LEFT_OUT) {
      if (type !== 'blob' || deltaSize !== NO_DELTA)
        throw invalid('pack_bad_entry_type', 'decode thread left out the content of a delta or non-blob');
      this.kind = 'whole-blob';
      this.data = EMPTY;
      return true;
    }
    this.kind = 'object';
    this.data = this.payload.subarray(dataStart, rawStart);
    if (deltaSize !== NO_DELTA) this.deltaSize = deltaSize;
    return true;
  }
}

const EMPTY = Buffer.alloc(0);
