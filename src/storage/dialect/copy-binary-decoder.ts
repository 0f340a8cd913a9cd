import { MegaError } from '../../platform/errors.js';

/**
 * The 11-byte signature of PostgreSQL's binary COPY format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), then an int32 of
 * flags and an int32 length of a header extension to skip.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
/** Flag bit 16: OIDs included, which only servers before 12 could send and we never ask for. */
const FLAG_WITH_OIDS = 1 << 16;
/** The int16 field count that ends the data. */
const TRAILER = -1;
/** The int32 field length of a NULL. */
const NULL_LENGTH = -1;

/** A tuple's fields, each its own buffer (copied out of the messages), or null for NULL. */
export type CopyTuple = readonly (Buffer | null)[];

function malformed(reason: string): MegaError {
  return new MegaError('internal', 'copy_malformed', `binary COPY data is malformed: ${reason}`);
}

/**
 * Decodes the binary COPY format as it arrives in CopyData messages. PostgreSQL sends one message
 * per tuple, but the format does not depend on it: a tuple split over messages waits for the
 * rest (only its leftover bytes are kept, joined again with each message: fine for the rare split,
quadratic only for a tuple spread over many). Fields are copied out, because the driver's messages
 * are views into a buffer it reuses for the next socket read.
 */
export class CopyBinaryDecoder {
  private leftover: Buffer | undefined;
  private headerSeen = false;
  private trailerSeen = false;

  /** True once the trailer arrived: nothing may follow it. */
  get ended(): boolean {
    return this.trailerSeen;
  }

  /** Decodes `message`, handing each whole tuple to `onTuple` in order. */
  push(message: Buffer, onTuple: (tuple: CopyTuple) => void): void {
    const bytes = this.leftover ? Buffer.concat([this.leftover, message]) : message;
    this.leftover = undefined;
    let offset = 0;
    if (!this.headerSeen) {
      const end = this.readHeader(bytes);
      if (end === undefined) {
        this.keep(bytes, 0);
        return;
      }
      offset = end;
    }
    while (offset < bytes.length) {
      if (this.trailerSeen) throw malformed('data after the trailer');
      const next = this.readTuple(bytes, offset, onTuple);
      if (next === undefined) break;
      offset = next;
    }
    this.keep(bytes, offset);
  }

  /** Fails unless the data ended with the trailer (a COPY cut off mid-tuple is malformed). */
  finish(): void {
    if (!this.trailerSeen || this.leftover) throw malformed('the data ends before its trailer');
  }

  private keep(bytes: Buffer, offset: number): void {
    // A copy, not a view: the driver reuses the message's memory.
    if (offset < bytes.length) this.leftover = Buffer.from(bytes.subarray(offset));
  }

  /** Reads the header; returns where the tuples start, or undefined when incomplete. */
  private readHeader(bytes: Buffer): number | undefined {
    // What has arrived of the signature is checked at once: text COPY data fails here.
    const signature = bytes.subarray(0, SIGNATURE.length);
    if (!signature.equals(SIGNATURE.subarray(0, signature.length))) throw malformed('no PGCOPY signature');
    if (bytes.length < HEADER_BYTES) return undefined;
    const flags = bytes.readUInt32BE(SIGNATURE.length);
    if (flags & FLAG_WITH_OIDS) throw malformed('tuples carry OIDs');
    const extension = bytes.readInt32BE(SIGNATURE.length + 4);
    if (extension < 0) throw malformed('negative header extension length');
    if (bytes.length < HEADER_BYTES + extension) return undefined;
    this.headerSeen = true;
    return HEADER_BYTES + extension;
  }

  /** Reads one tuple at `offset`; returns where the next starts, or undefined when incomplete. */
  private readTuple(bytes: Buffer, offset: number, onTuple: (tuple: CopyTuple) => void): number | undefined {
    if (bytes.length - offset < 2) return undefined;
    const count = bytes.readInt16BE(offset);
    if (count === TRAILER) {
      this.trailerSeen = true;
      return offset + 2;
    }
    if (count < 0) throw malformed(`negative field count ${count}`);
    let at = offset + 2;
    // Lengths are checked first, so an incomplete tuple copies nothing.
    for (let field = 0; field < count; field++) {
      if (bytes.length - at < 4) return undefined;
      const length = bytes.readInt32BE(at);
      if (length < NULL_LENGTH) throw malformed(`negative field length ${length}`);
      at += 4 + Math.max(length, 0);
      if (at > bytes.length) return undefined;
    }
    const tuple: (Buffer | null)[] = [];
    at = offset + 2;
    for (let field = 0; field < count; field++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      if (length === NULL_LENGTH) {
        tuple.push(null);
        continue;
      }
      tuple.push(Buffer.from(bytes.subarray(at, at + length)));
      at += length;
    }
    onTuple(tuple);
    return at;
  }
}
