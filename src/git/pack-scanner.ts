import type { Hash } from 'node:crypto';
import zlib from 'node:zlib';
import { invalid, tooLarge } from '../platform/errors.js';
import { Inflater } from './inflater.js';
import { objectHeader, type ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import { objectIdFromDigest, type ObjectId } from './object-id.js';
import {
  decodeEntryHeader,
  decodePackHeader,
  objectTypeOfCode,
  PACK_HEADER_LENGTH,
  PackEntryType,
  type EntryHeader,
} from './pack-format.js';
import type { PackSpool } from './pack-spool.js';
import { objectSizeLimit, type PackReaderLimits } from './pack-types.js';

/** What the first pass learns about one entry. Mutated by the delta resolver. */
export interface ScannedEntry {
  readonly offset: number;
  readonly code: number;
  /** Size declared in the entry header (the delta's size for deltas). */
  readonly declaredSize: number;
  readonly headerLength: number;
  compressedLength: number;
  crc32: number;
  /** OFS_DELTA: index of the base entry; otherwise -1. */
  readonly baseIndex: number;
  /** REF_DELTA: the base id it names is `PackScanner.lastRawBaseId` until the next REF_DELTA. */
  readonly isRefDelta: boolean;
  /**
   * Inflated content (whole objects: a reused buffer or the `wholeTarget`, valid until the next
   * entry) or delta (deltas: owned, unless `reuseDeltaBuffer`), until handed on or over budget.
   */
  inflated: Buffer | undefined;
  /** Set for blobs hashed while streaming (never inflated whole): their id. */
  readonly streamedId: ObjectId | undefined;
}

export interface PackScannerOptions {
  readonly forceInflateFallback?: boolean;
  /** Blobs of at least this size are hashed piece by piece instead of inflated whole. */
  readonly streamBlobsFrom?: number;
  /**
   * The input may go on after the pack (git over SSH: the client keeps its side open until it has
   * read the report): the trailer ends the pack, and no more input is awaited after it. Bytes
   * that came in with the trailer are still refused (`pack_trailing_garbage`).
   */
  readonly stopAtTrailer?: boolean;
  /**
   * Only find where each entry ends (sizes and zlib checked, nothing hashed nor kept): entries
   * come back without content, in bounded memory whatever their size.
   */
  readonly framingOnly?: boolean;
  /**
   * Where to inflate a whole object of `size` bytes (a buffer of at least `size + 1`), or
   * undefined for the reused buffer. Lets the reader keep recent contents without copying them.
   */
  readonly wholeTarget?: (type: ObjectType, size: number) => Buffer | undefined;
  /**
   * Where to inflate a delta of `size` bytes (a buffer of at least `size + 1`, valid until the
   * next entry as the reused buffer is), or undefined for the reused buffer.
   */
  readonly deltaTarget?: (size: number) => Buffer | undefined;
  /** Skip the CRC32s (each entry's `crc32` is then 0): for readers that write no pack index. */
  readonly skipCrc32?: boolean;
  /** Deltas are inflated into a reused buffer too (valid until the next entry): the reader copies what it keeps. */
  readonly reuseDeltaBuffer?: boolean;
}

/**
 * First pass over a streamed pack: splits it into entries, inflates each zlib stream to find its
 * end (checking sizes), computes CRC32s and the trailer hash, and appends every byte to the spool.
 */
export class PackScanner {
  private readonly source: AsyncIterator<Uint8Array>;
  private window: Buffer = Buffer.alloc(0);
  private pos = 0;
  private windowStart = 0;
  private received = 0;
  private ended = false;
  private readonly trailerHasher;
  private trailerTail: Buffer = Buffer.alloc(0);
  private readonly inflater: Inflater;
  /**
   * Offset of every entry scanned so far (increasing), to find OFS bases: the reader's own column
   * once it hands it over (`useEntryOffsets`), else a list of the scanner's.
   */
  private readonly offsets: number[] = [];
  private entryOffsets: EntryOffsets | undefined;
  /** Absolute offset of the last entry's zlib stream. */
  private lastDataStart = 0;
  private readonly streamBlobsFrom: number;
  private readonly stopAtTrailer: boolean;
  private readonly framingOnly: boolean;
  private readonly wholeTarget: ((type: ObjectType, size: number) => Buffer | undefined) | undefined;
  private readonly deltaTarget: ((size: number) => Buffer | undefined) | undefined;
  private readonly reuseDeltaBuffer: boolean;
  private readonly crc32: boolean;
  /** The raw base id of the last REF_DELTA scanned. */
  private readonly baseRawId: Buffer;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly format: ObjectFormat,
    private readonly limits: PackReaderLimits,
    private readonly spool: PackSpool,
    options: PackScannerOptions = {},
  ) {
    this.source = source[Symbol.asyncIterator]();
    this.trailerHasher = format.createHasher();
    this.inflater = new Inflater({ forceFallback: options.forceInflateFallback ?? false });
    this.streamBlobsFrom = options.streamBlobsFrom ?? Number.POSITIVE_INFINITY;
    this.stopAtTrailer = options.stopAtTrailer ?? false;
    this.framingOnly = options.framingOnly ?? false;
    this.wholeTarget = options.wholeTarget;
    this.deltaTarget = options.deltaTarget;
    this.reuseDeltaBuffer = options.reuseDeltaBuffer ?? false;
    this.crc32 = !(options.skipCrc32 ?? false);
    this.baseRawId = Buffer.alloc(format.rawLength);
  }

  /**
   * Finds OFS bases in the reader's column of entry offsets instead of a list of its own: the
   * reader appends each entry there before it scans the next. Call before the first entry.
   */
  useEntryOffsets(entries: EntryOffsets): void {
    this.entryOffsets = entries;
  }

  /** Bytes of the pack scanned so far (after `readTrailer`: the whole pack). */
  get scannedBytes(): number {
    return this.windowStart + this.pos;
  }

  /** Reads and checks the 12-byte header. */
  async readHeader(): Promise<{ version: number; count: number }> {
    if (!(await this.ensure(PACK_HEADER_LENGTH))) throw truncated('header');
    const header = decodePackHeader(this.window.subarray(this.pos, this.pos + PACK_HEADER_LENGTH));
    if (header.count > this.limits.maxObjects) {
      throw tooLarge('pack_too_many_objects', 'pack declares more objects than allowed', {
        count: header.count,
        limit: this.limits.maxObjects,
      });
    }
    this.pos += PACK_HEADER_LENGTH;
    return header;
  }

  /**
   * Scans the next entry. Synchronous (no promise, no microtask) when the entry lies in the
   * bytes already received, as most small entries do.
   */
  nextEntry(): ScannedEntry | Promise<ScannedEntry> {
    const header = decodeEntryHeader(this.window, this.pos, this.format.rawLength);
    if (header) return this.scanEntry(header);
    return this.readEntryHeader().then((read) => this.scanEntry(read));
  }

  /**
   * The base id of the REF_DELTA just scanned as raw bytes, in a buffer the next REF_DELTA
   * overwrites. Raw, not hex: a reader that resolves the delta as it scans never needs the hex.
   */
  get lastRawBaseId(): Buffer {
    return this.baseRawId;
  }

  /**
   * The zlib stream of the entry just scanned, as a view of the received bytes when it lies in
   * one window (else undefined: read it from the spool). Valid until the next `nextEntry`.
   */
  lastRawInWindow(): Buffer | undefined {
    const start = this.lastDataStart - this.windowStart;
    return start >= 0 ? this.window.subarray(start, this.pos) : undefined;
  }

  /** `lastRawInWindow` as a plain `Uint8Array` view (cheaper to make than a `Buffer`'s). */
  lastRawBytesInWindow(): Uint8Array | undefined {
    const start = this.lastDataStart - this.windowStart;
    const window = this.window;
    return start >= 0
      ? new Uint8Array(window.buffer, window.byteOffset + start, this.pos - start)
      : undefined;
  }

  private scanEntry(header: EntryHeader): ScannedEntry | Promise<ScannedEntry> {
    const offset = this.windowStart + this.pos;
    const type = objectTypeOfCode(header.code);
    // A delta's own size is checked here; the size of what it builds, once its base is known.
    const limit = type ? objectSizeLimit(this.limits, type) : this.limits.maxObjectSize;
    if (header.size > limit) {
      throw tooLarge('pack_object_too_large', `pack entry (${type ?? 'delta'}) is larger than allowed`, {
        offset,
        size: header.size,
        limit,
      });
    }
    let baseIndex = -1;
    if (header.code === PackEntryType.OfsDelta) {
      const entries = this.entryOffsets;
      const base = !header.ofsDistance
        ? -1
        : entries
          ? indexOfOffset(entries.offset, entries.length, offset - header.ofsDistance)
          : indexOfOffset(this.offsets, this.offsets.length, offset - header.ofsDistance);
      if (base < 0)
        throw invalid('pack_bad_delta_base', 'OFS_DELTA base is not an earlier entry', { offset });
      baseIndex = base;
    } else if (header.code === PackEntryType.RefDelta) {
      const idStart = this.pos + header.length - this.format.rawLength;
      for (let i = 0; i < this.format.rawLength; i++) this.baseRawId[i] = this.window[idStart + i]!;
    }
    if (!this.entryOffsets) this.offsets.push(offset);
    // The CRC covers header and zlib stream; it is computed once per window the entry spans.
    const scan: EntryScan = {
      header,
      offset,
      baseIndex,
      crc: 0,
      crcFrom: this.pos,
      hasher: undefined,
    };
    this.pos += header.length;
    this.lastDataStart = this.windowStart + this.pos;
    // Whole objects are only hashed here (bases are re-inflated when needed): reuse one buffer.
    // Big blobs are hashed as they inflate, so their size never becomes one buffer.
    if (this.framingOnly) {
      this.inflater.beginStreaming(header.size, ignoreOutput);
    } else if (header.code === PackEntryType.Blob && header.size >= this.streamBlobsFrom) {
      const hasher = this.format.createHasher().update(objectHeader('blob', header.size));
      scan.hasher = hasher;
      this.inflater.beginStreaming(header.size, (piece) => hasher.update(piece));
    } else {
      const target = !this.inflater.isNative
        ? undefined
        : type !== undefined
          ? this.wholeTarget?.(type, header.size)
          : this.deltaTarget?.(header.size);
      if (target) this.inflater.beginInto(header.size, target);
      else this.inflater.begin(header.size, type !== undefined || this.reuseDeltaBuffer);
    }
    return this.inflateOnce(scan) ? this.finishEntry(scan) : this.inflateRest(scan);
  }

  /** Feeds the rest of the window to the inflater; true when the entry's stream ended in it. */
  private inflateOnce(scan: EntryScan): boolean {
    const result = this.inflater.push(this.window, this.pos, this.window.length);
    this.pos += result.consumed;
    if (result.done) return true;
    if (this.crc32) scan.crc = zlib.crc32(this.window.subarray(scan.crcFrom, this.pos), scan.crc);
    scan.crcFrom = 0;
    return false;
  }

  private async inflateRest(scan: EntryScan): Promise<ScannedEntry> {
    do {
      if (!(await this.nextWindow())) throw truncated('entry', scan.offset);
    } while (!this.inflateOnce(scan));
    return this.finishEntry(scan);
  }

  private finishEntry(scan: EntryScan): ScannedEntry {
    const { header, hasher } = scan;
    const crc32 = this.crc32 ? zlib.crc32(this.window.subarray(scan.crcFrom, this.pos), scan.crc) : 0;
    return {
      offset: scan.offset,
      code: header.code,
      declaredSize: header.size,
      headerLength: header.length,
      compressedLength: this.windowStart + this.pos - this.lastDataStart,
      crc32,
      baseIndex: scan.baseIndex,
      isRefDelta: header.code === PackEntryType.RefDelta,
      inflated: hasher || this.framingOnly ? undefined : this.inflater.output(),
      // Always present (one object shape for every entry), undefined unless streamed.
      streamedId: hasher ? objectIdFromDigest(hasher.digest('hex')) : undefined,
    };
  }

  /**
   * Checks the trailer after the last entry and that nothing follows it: up to the end of input,
   * or with `stopAtTrailer` in what was received with it.
   */
  async readTrailer(): Promise<Buffer> {
    const end = this.windowStart + this.pos;
    if (!(await this.ensure(this.format.rawLength))) throw truncated('trailer', end);
    const trailer = Buffer.from(this.window.subarray(this.pos, this.pos + this.format.rawLength));
    this.pos += this.format.rawLength;
    while (!this.stopAtTrailer && this.pos === this.window.length && (await this.nextWindow()));
    if (this.pos < this.window.length) {
      throw invalid('pack_trailing_garbage', 'bytes follow the pack trailer', { offset: end });
    }
    const actual = this.trailerHasher.digest();
    if (!actual.equals(trailer)) {
      throw invalid('pack_bad_checksum', 'pack trailer checksum does not match its content', {
        expected: trailer.toString('hex'),
        actual: actual.toString('hex'),
      });
    }
    return trailer;
  }

  private async readEntryHeader(): Promise<EntryHeader> {
    for (;;) {
      const header = decodeEntryHeader(this.window, this.pos, this.format.rawLength);
      if (header) return header;
      if (!(await this.ensure(this.window.length - this.pos + 1)))
        throw truncated('entry header', this.windowStart + this.pos);
    }
  }

  /** Makes at least `count` unread bytes contiguous in the window; false at end of input. */
  private async ensure(count: number): Promise<boolean> {
    while (this.window.length - this.pos < count) {
      const chunk = await this.receive();
      if (!chunk) return false;
      const rest = this.window.subarray(this.pos);
      this.windowStart += this.pos;
      this.window = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      this.pos = 0;
    }
    return true;
  }

  /** Replaces a fully consumed window with the next chunk; false at end of input. */
  private async nextWindow(): Promise<boolean> {
    const chunk = await this.receive();
    if (!chunk) return false;
    this.windowStart += this.window.length;
    this.window = chunk;
    this.pos = 0;
    return true;
  }

  private async receive(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.ended) return undefined;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      if (next.value.length === 0) continue;
      const chunk = Buffer.isBuffer(next.value)
        ? next.value
        : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.received += chunk.length;
      if (this.received > this.limits.maxPackSize) {
        throw tooLarge('pack_too_large', 'pack is larger than allowed', { limit: this.limits.maxPackSize });
      }
      const appended = this.spool.append(chunk);
      if (appended instanceof Promise) await appended;
      this.hashAllButTrailer(chunk);
      return chunk;
    }
  }

  /** Feeds the trailer hash with everything except the last `rawLength` bytes seen so far. */
  private hashAllButTrailer(chunk: Buffer): void {
    const keep = this.format.rawLength;
    if (chunk.length >= keep) {
      if (this.trailerTail.length > 0) this.trailerHasher.update(this.trailerTail);
      this.trailerHasher.update(chunk.subarray(0, chunk.length - keep));
      this.trailerTail = Buffer.from(chunk.subarray(chunk.length - keep));
      return;
    }
    const joined = Buffer.concat([this.trailerTail, chunk]);
    const spill = Math.max(0, joined.length - keep);
    if (spill > 0) this.trailerHasher.update(joined.subarray(0, spill));
    this.trailerTail = joined.subarray(spill);
  }
}

/** An entry being scanned, carried across windows. */
interface EntryScan {
  readonly header: EntryHeader;
  readonly offset: number;
  readonly baseIndex: number;
  /** CRC32 of the entry's bytes in earlier windows, and where this window's part starts. */
  crc: number;
  crcFrom: number;
  hasher: Hash | undefined;
}

function ignoreOutput(): void {}

/** The reader's column of entry offsets, in entry order (`PackEntries`). */
export interface EntryOffsets {
  readonly offset: Float64Array;
  /** Entries in the column (the column may be longer). */
  readonly length: number;
}

/** Index of the entry at `offset` in the first `length` of the increasing `offsets`, or -1. */
function indexOfOffset(offsets: ArrayLike<number>, length: number, offset: number): number {
  let low = 0;
  let high = length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = offsets[mid]!;
    if (at === offset) return mid;
    if (at < offset) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

function truncated(where: string, offset?: number) {
  return invalid('pack_truncated', `pack ends inside its ${where}`, offset === undefined ? {} : { offset });
}
