import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectIdSet } from '../git/object-id-set.js';
import { grown } from '../git/grown-array.js';
import { COPY_PIECE_BYTES } from './dialect/copy-binary-encoder.js';
import { positionsInIdOrder } from './id-order.js';
import type { StorageType } from './schema.js';

/** A `raw_objects` row as the values of the writer's `RAW_OBJECT_COLUMNS`, in order. */
export type ObjectRow = [
  git_id: ObjectId,
  object_type: ObjectType,
  storage_type: StorageType,
  size: number,
  delta_base: ObjectId | null,
  delta_depth: number,
  payload_size: number,
  data: Buffer | null,
];

/** Rows a flush holds at first; the columns double as needed. */
const INITIAL_ROWS = 2048;
const TWO_32 = 2 ** 32;
/** A tuple's int16 field count: the eight columns of `RAW_OBJECT_COLUMNS`. */
const FIELDS = 8;
/** The int32 length of a field, and the -1 of a NULL one. */
const LENGTH_BYTES = 4;
/** The fixed part of a tuple: the field count, eight lengths, the bigint and integer values. */
const FIXED_BYTES = 2 + FIELDS * LENGTH_BYTES + 8 + 4 + 8;

export const TYPE_NAMES: readonly ObjectType[] = ['commit', 'tree', 'blob', 'tag'];
const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 0, tree: 1, blob: 2, tag: 3 };
const TYPE_BYTES = TYPE_NAMES.map((name) => Buffer.from(name, 'latin1'));
const DATABASE = Buffer.from('database', 'latin1');
const CHUNKS = Buffer.from('chunks', 'latin1');

/**
 * Buffered `raw_objects` rows by column, as `ObjectCopyRows` holds them: per row the object's and
 * its delta base's numbers in `ids` (base -1: whole), its type's index in `TYPE_NAMES`, whether
 * it is stored as chunks (data null), its depth, size, payload size and stored bytes.
 */
export interface ObjectRowColumns {
  readonly ids: ObjectIdSet;
  readonly numbers: Int32Array;
  readonly bases: Int32Array;
  readonly types: Uint8Array;
  readonly chunked: Uint8Array;
  readonly depths: Int32Array;
  readonly sizes: Float64Array;
  readonly payloadSizes: Float64Array;
  readonly data: readonly (Buffer | null)[];
}

/**
 * `raw_objects` rows (`RAW_OBJECT_COLUMNS`) buffered for PostgreSQL's binary COPY with their ids
 * as numbers in the write's `ObjectIdSet`, and encoded as COPY tuples straight from the raw ids:
 * the same bytes `encodeCopyTuples` makes of the rows with hex id strings, without a hex string
 * per id and delta base, a row array per object or a per-value pass through the generic encoder
 * (docs/scale.md, "PostgreSQL's object rows from the raw ids"). The values come from the writer
 * (sizes and depths it computed, types it knows), so only the integers are checked, as the
 * generic encoder checks them. MariaDB's bulk executes take the same columns (`takeColumns`,
 * `objectBulkStatements`).
 */
export class ObjectCopyRows {
  private numbers = new Int32Array(INITIAL_ROWS);
  /** The delta base's number, -1 for a whole object. */
  private bases = new Int32Array(INITIAL_ROWS);
  private types = new Uint8Array(INITIAL_ROWS);
  /** 1: stored as chunks (no data), 0: in the row. */
  private chunked = new Uint8Array(INITIAL_ROWS);
  private depths = new Int32Array(INITIAL_ROWS);
  private sizes = new Float64Array(INITIAL_ROWS);
  private payloadSizes = new Float64Array(INITIAL_ROWS);
  private data: (Buffer | null)[] = [];
  private count = 0;

  constructor(private readonly ids: ObjectIdSet) {}

  /** Rows buffered. */
  get length(): number {
    return this.count;
  }

  /**
   * Buffers one row: the object numbered `number` of `type`, `size` bytes, stored as a delta on
   * the object numbered `base` at `depth` (`base` -1: whole), whose stored bytes are `data`
   * (`payloadSize` inflated); `data` null: stored as chunks.
   */
  push(
    number: number,
    type: ObjectType,
    size: number,
    base: number,
    depth: number,
    payloadSize: number,
    data: Buffer | null,
  ): void {
    checkInteger(size);
    checkInteger(payloadSize);
    if (!Number.isInteger(depth) || depth < 0 || depth >= 2 ** 31)
      throw new TypeError(`not a 32-bit depth: ${depth}`);
    if (this.count === this.numbers.length) this.grow();
    const at = this.count++;
    this.numbers[at] = number;
    this.bases[at] = base;
    this.types[at] = TYPE_CODES[type];
    this.chunked[at] = data === null ? 1 : 0;
    this.depths[at] = depth;
    this.sizes[at] = size;
    this.payloadSizes[at] = payloadSize;
    this.data.push(data);
  }

  /**
   * The buffered rows as COPY tuples in id order (equal ids in the order they came), in pieces of
   * about `pieceBytes` (whole rows; a bigger row is a piece of its own); the buffer is emptied.
   */
  takeTuples(pieceBytes = COPY_PIECE_BYTES): Buffer[] {
    const order = this.positionsById();
    const hexLength = this.ids.hexLength;
    const pieces: Buffer[] = [];
    let next = 0;
    while (next < order.length) {
      let size = 0;
      let end = next;
      while (end < order.length) {
        const rowBytes = this.tupleBytes(order[end]!, hexLength);
        if (end > next && size + rowBytes > pieceBytes) break;
        size += rowBytes;
        end++;
      }
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      for (; next < end; next++) at = this.writeTuple(out, at, order[next]!);
      pieces.push(out);
    }
    this.clear();
    return pieces;
  }

  /**
   * The buffered rows' columns, handed over with their positions in id order (equal ids in the
   * order they came); the buffer starts new columns, so these stay as they are while a statement
   * made of them is on the wire (MariaDB's bulk executes: `objectBulkStatements`).
   */
  takeColumns(): { columns: ObjectRowColumns; order: Int32Array } {
    const order = this.positionsById();
    const columns: ObjectRowColumns = {
      ids: this.ids,
      numbers: this.numbers,
      bases: this.bases,
      types: this.types,
      chunked: this.chunked,
      depths: this.depths,
      sizes: this.sizes,
      payloadSizes: this.payloadSizes,
      data: this.data,
    };
    const length = this.numbers.length;
    this.numbers = new Int32Array(length);
    this.bases = new Int32Array(length);
    this.types = new Uint8Array(length);
    this.chunked = new Uint8Array(length);
    this.depths = new Int32Array(length);
    this.sizes = new Float64Array(length);
    this.payloadSizes = new Float64Array(length);
    this.clear();
    return { columns, order };
  }

  /**
   * The buffered rows as values with hex ids, in the order they came (for rows that cannot go by
   * COPY after all: a COPY met a stored key, or the COPYs are used up); the buffer is emptied.
   */
  takeValues(): ObjectRow[] {
    const rows: ObjectRow[] = [];
    for (let at = 0; at < this.count; at++) {
      const base = this.bases[at]!;
      rows.push([
        this.ids.idAt(this.numbers[at]!),
        TYPE_NAMES[this.types[at]!]!,
        this.chunked[at] ? 'chunks' : 'database',
        this.sizes[at]!,
        base >= 0 ? this.ids.idAt(base) : null,
        this.depths[at]!,
        this.payloadSizes[at]!,
        this.data[at]!,
      ]);
    }
    this.clear();
    return rows;
  }

  private clear(): void {
    this.count = 0;
    this.data = [];
  }

  private tupleBytes(at: number, hexLength: number): number {
    const data = this.data[at];
    return (
      FIXED_BYTES +
      hexLength +
      TYPE_BYTES[this.types[at]!]!.length +
      (this.chunked[at] ? CHUNKS : DATABASE).length +
      (this.bases[at]! >= 0 ? hexLength : 0) +
      (data ? data.length : 0)
    );
  }

  /** Writes row `row`'s tuple at `out[at…]`; returns the offset after it. */
  private writeTuple(out: Buffer, at: number, row: number): number {
    const ids = this.ids;
    const hexLength = ids.hexLength;
    out[at] = 0;
    out[at + 1] = FIELDS;
    at = putInt32(out, at + 2, hexLength);
    at = ids.writeHex(this.numbers[row]!, out, at);
    at = putBytes(out, at, TYPE_BYTES[this.types[row]!]!);
    at = putBytes(out, at, this.chunked[row] ? CHUNKS : DATABASE);
    at = putInt64(out, putInt32(out, at, 8), this.sizes[row]!);
    const base = this.bases[row]!;
    if (base >= 0) at = ids.writeHex(base, out, putInt32(out, at, hexLength));
    else at = putInt32(out, at, -1);
    at = putInt32(out, putInt32(out, at, 4), this.depths[row]!);
    at = putInt64(out, putInt32(out, at, 8), this.payloadSizes[row]!);
    const data = this.data[row];
    if (!data) return putInt32(out, at, -1);
    at = putInt32(out, at, data.length);
    out.set(data, at);
    return at + data.length;
  }

  /** The positions of the buffered rows in id order, equal ids in the order they came. */
  private positionsById(): Int32Array {
    const { numbers, ids } = this;
    return positionsInIdOrder(
      this.count,
      (at) => ids.wordAt(numbers[at]!, 0),
      (a, b) => ids.compare(numbers[a]!, numbers[b]!),
    );
  }

  private grow(): void {
    const length = this.numbers.length * 2;
    this.numbers = grown(this.numbers, new Int32Array(length));
    this.bases = grown(this.bases, new Int32Array(length));
    this.types = grown(this.types, new Uint8Array(length));
    this.chunked = grown(this.chunked, new Uint8Array(length));
    this.depths = grown(this.depths, new Int32Array(length));
    this.sizes = grown(this.sizes, new Float64Array(length));
    this.payloadSizes = grown(this.payloadSizes, new Float64Array(length));
  }
}

/** The generic encoder's check of a bigint value: a safe integer (sizes are never negative here). */
function checkInteger(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`not a size: ${value}`);
}

function putInt32(out: Buffer, at: number, value: number): number {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
  return at + 4;
}

/** A non-negative safe integer as an int64, big-endian. */
function putInt64(out: Buffer, at: number, value: number): number {
  return putInt32(out, putInt32(out, at, Math.floor(value / TWO_32)), value % TWO_32);
}

function putBytes(out: Buffer, at: number, bytes: Buffer): number {
  at = putInt32(out, at, bytes.length);
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i]!;
  return at + bytes.length;
}
