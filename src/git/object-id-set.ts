import { DenseIdIndex } from './dense-id-index.js';
import type { ObjectFormat } from './object-format.js';
import type { ObjectId } from './object-id.js';

/** What a reader of a set of ids needs (an `ObjectIdSet`, or a plain `Set` of hex ids). */
export interface ObjectIdLookup extends Iterable<ObjectId> {
  readonly size: number;
  has(id: string): boolean;
}

/**
 * A set of object ids held as raw bytes (`DenseIdIndex`, ~36 bytes an id) instead of hex strings
 * in a `Set` (~56 bytes a string plus the set's ~20): the ids of a 500k-object push. Each id is
 * numbered in order of first sight, so callers can keep per-id values in typed arrays. Hex
 * strings are made only when the ids are listed.
 */
export class ObjectIdSet implements ObjectIdLookup {
  private readonly index: DenseIdIndex;
  private readonly scratch: Buffer;

  /** `index`: an index to number the ids in, which others may share (it may hold more ids). */
  constructor(
    private readonly format: ObjectFormat,
    index?: DenseIdIndex,
  ) {
    this.index = index ?? new DenseIdIndex(format.rawLength);
    this.scratch = Buffer.alloc(format.rawLength);
  }

  get size(): number {
    return this.index.size;
  }

  /** Bytes held (for memory budgets). */
  get bytes(): number {
    return this.index.bytes;
  }

  /** Adds the hex id (well formed: an `ObjectId`); returns its number. */
  add(id: ObjectId): number {
    this.scratch.write(id, 0, this.format.rawLength, 'hex');
    return this.index.add(this.scratch, 0);
  }

  /** Adds the raw id at `data[offset…]`; returns its number. */
  addRaw(data: Uint8Array, offset: number): number {
    return this.index.add(data, offset);
  }

  /** The number of the hex id, or -1 when absent (or not an id of this format). */
  numberOf(id: string): number {
    if (id.length !== this.format.hexLength) return -1;
    if (this.scratch.write(id, 0, this.format.rawLength, 'hex') !== this.format.rawLength) return -1;
    return this.index.find(this.scratch, 0);
  }

  /** The number of the raw id at `data[offset…]`, or -1 when absent. */
  numberOfRaw(data: Uint8Array, offset: number): number {
    return this.index.find(data, offset);
  }

  /** The first raw byte of the id numbered `number` (ids sorted by hex sort by it first). */
  leadingByte(number: number): number {
    return this.index.byteAt(number, 0);
  }

  /** Bytes `at`…`at + 3` of the raw id numbered `number`, unsigned big-endian (a sort key). */
  wordAt(number: number, at: number): number {
    return this.index.wordAt(number, at);
  }

  /** The ids numbered `a` and `b` compared (the order of their hex forms). */
  compare(a: number, b: number): number {
    return this.index.compare(a, b);
  }

  /** Writes the hex id numbered `number` as ASCII at `out[at…]`; returns the offset after it. */
  writeHex(number: number, out: Uint8Array, at: number): number {
    return this.index.writeHex(number, out, at);
  }

  /** Characters of a hex id of this set's format. */
  get hexLength(): number {
    return this.format.hexLength;
  }

  has(id: string): boolean {
    return this.numberOf(id) >= 0;
  }

  /** The hex id numbered `number`. */
  idAt(number: number): ObjectId {
    return this.index.idAt(number, this.format);
  }

  /** Every id as hex, in order of first sight. */
  *[Symbol.iterator](): Iterator<ObjectId> {
    for (let number = 0; number < this.index.size; number++) yield this.idAt(number);
  }
}
