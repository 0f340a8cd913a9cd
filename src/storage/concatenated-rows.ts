import type { ObjectType } from '../git/object.js';
import { MegaError } from '../platform/errors.js';

/**
 * Rows of `raw_objects` read from SQLite as one blob per statement: each row's columns as text
 * then its stored bytes, concatenated by `group_concat`. A clone reads half a million rows by
 * key, and better-sqlite3 makes a row array, strings and a `Buffer` (its own allocation) for each:
 * that, not SQLite's probes, was most of the read (1.1–1.55 s of CPU for the 356k rows of a
 * `blob:limit` clone of the `large` bench repository, against 0.55 s for the same rows as one
 * blob per 1,000 and parsed here). The bytes of a row become a view into the statement's blob.
 *
 * Rows whose data is null (stored in chunks) or longer than the caller's limit are left out
 * (the caller reads those one by one): a statement's blob stays within 1,000 times that limit,
 * far under SQLite's largest value.
 */

/**
 * The statement over `size` row keys; its first parameter is the longest data a row may have to
 * be included. A row is `<key> <git_id> <type> <size> <payload_size> <data length> <delta_base> `
 * (the delta base empty when none) followed by its data.
 */
export function concatenatedRowsSql(size: number): string {
  const header = `printf('%d %s %s %d %d %d %s ', id, git_id, object_type, size, payload_size, length(data), ifnull(delta_base, ''))`;
  return (
    `select cast(group_concat(${header} || data, x'') as blob) from raw_objects ` +
    `where data is not null and length(data) <= ? and id in (${new Array(size).fill('?').join(', ')})`
  );
}

const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * A cursor over one statement's blob (`concatenatedRowsSql`): `next()` moves to the following row
 * and sets the fields, so reading a row makes no object but its delta base's id and its bytes'
 * view. Throws `object_corrupt` on bytes that are not such rows (never expected: SQLite
 * writes them).
 */
export class ConcatenatedRows {
  key = 0;
  type: ObjectType = 'blob';
  size = 0;
  payloadSize = 0;
  deltaBase: string | undefined;
  data: Buffer = Buffer.alloc(0);
  private at = 0;
  private idStart = 0;
  private idEnd = 0;

  constructor(private readonly bytes: Buffer) {}

  next(): boolean {
    if (this.at >= this.bytes.length) return false;
    this.key = this.integer();
    this.idStart = this.at;
    this.idEnd = this.field();
    this.type = this.objectType();
    this.size = this.integer();
    this.payloadSize = this.integer();
    const length = this.integer();
    const baseStart = this.at;
    const baseEnd = this.field();
    this.deltaBase = baseEnd > baseStart ? this.bytes.toString('latin1', baseStart, baseEnd) : undefined;
    if (this.at + length > this.bytes.length) throw malformed(this.at);
    this.data = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return true;
  }

  /** Whether the row holds the object `id` (compared without making a string of the row's). */
  holds(id: string): boolean {
    return this.idEnd - this.idStart === id.length && this.textAt(this.idStart, id);
  }

  /** Whether the bytes at `start` are `text`'s (ASCII). */
  private textAt(start: number, text: string): boolean {
    for (let index = 0; index < text.length; index++) {
      if (this.bytes[start + index] !== text.charCodeAt(index)) return false;
    }
    return true;
  }

  /** The type field and its space, told by its length and first bytes (no string made). */
  private objectType(): ObjectType {
    const start = this.at;
    const length = this.field() - start;
    const first = this.bytes[start];
    const type =
      length === 4 && first === 0x62
        ? 'blob'
        : length === 4 && first === 0x74
          ? 'tree'
          : length === 6 && first === 0x63
            ? 'commit'
            : length === 3 && first === 0x74
              ? 'tag'
              : undefined;
    // The rest of the field checked once it is known which type it must be.
    if (type === undefined || !this.textAt(start, type)) throw malformed(start);
    return type;
  }

  /** A decimal field and its space. */
  private integer(): number {
    const start = this.at;
    let value = 0;
    for (;;) {
      const byte = this.bytes[this.at++];
      if (byte === SPACE && this.at - 1 > start) return value;
      if (byte === undefined || byte < DIGIT_0 || byte > DIGIT_9) throw malformed(start);
      value = value * 10 + (byte - DIGIT_0);
    }
  }

  /** A text field (possibly empty) and its space: where it ends. */
  private field(): number {
    const end = this.bytes.indexOf(SPACE, this.at);
    if (end < 0) throw malformed(this.at);
    this.at = end + 1;
    return end;
  }
}

function malformed(offset: number): MegaError {
  return new MegaError('internal', 'object_corrupt', 'stored rows read back in one blob are malformed', {
    offset,
  });
}
