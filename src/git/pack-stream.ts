import type { ObjectFormat } from './object-format.js';
import {
  MAX_ENTRY_HEADER_LENGTH,
  writeEntryHeader,
  writeOfsDistance,
  type PackEntryType,
} from './pack-format.js';

/** Where pack bytes go; `write` resolves when the consumer can take more (backpressure). */
export interface PackSink {
  write(chunk: Buffer): Promise<void>;
}

/** Bytes gathered before they go to the sink: one hash update and one write per piece. */
const STAGING_BYTES = 64 * 1024;

/**
 * The one pack encoder (gitformat-pack): the pack's bytes on their way to the sink, with the
 * position and the trailing checksum in the repository's object format (SHA-1 or SHA-256). The
 * caller appends the header and its entries (entry headers, OFS distances, REF base ids, zlib
 * streams); what goes in and in which order is the caller's (the server copies stored forms,
 * test support plans deltas). Small writes are gathered into pieces of STAGING_BYTES; appends
 * never wait, and the caller drains the sealed pieces (with the sink's backpressure) when
 * `backlogged`.
 */
export class PackStream {
  private readonly hash;
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  private staged = 0;
  /** Sealed pieces not handed to the sink yet. */
  private readonly sealed: Buffer[] = [];
  position = 0;

  constructor(
    private readonly sink: PackSink,
    readonly format: ObjectFormat,
  ) {
    this.hash = format.createHasher();
  }

  get backlogged(): boolean {
    return this.sealed.length > 0;
  }

  /** Appends bytes the caller will not change (large ones are sent as they are, not copied). */
  append(chunk: Buffer): void {
    this.position += chunk.length;
    if (chunk.length >= STAGING_BYTES / 2) {
      this.seal();
      this.sealed.push(chunk);
      return;
    }
    this.reserve(chunk.length);
    chunk.copy(this.staging, this.staged);
    this.staged += chunk.length;
  }

  /** Appends `source[start…end)`, which the caller will not change (copied unless large). */
  appendRange(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length >= STAGING_BYTES / 2) {
      this.append(source.subarray(start, end));
      return;
    }
    this.position += length;
    this.reserve(length);
    source.copy(this.staging, this.staged, start, end);
    this.staged += length;
  }

  /**
   * Appends a copy of `source[start…end)`, of any length: nothing of `source` is kept, so the
   * caller may overwrite it at once (a read window reused for the next bytes of a file).
   */
  appendCopy(source: Buffer, start: number, end: number): void {
    this.position += end - start;
    for (let at = start; at < end;) {
      if (this.staged === STAGING_BYTES) this.seal();
      const length = Math.min(end - at, STAGING_BYTES - this.staged);
      source.copy(this.staging, this.staged, at, at + length);
      this.staged += length;
      at += length;
    }
  }

  appendEntryHeader(type: PackEntryType, size: number): void {
    this.reserve(MAX_ENTRY_HEADER_LENGTH);
    this.advanceTo(writeEntryHeader(this.staging, this.staged, type, size));
  }

  appendOfsDistance(distance: number): void {
    this.reserve(MAX_ENTRY_HEADER_LENGTH);
    this.advanceTo(writeOfsDistance(this.staging, this.staged, distance));
  }

  /** Appends a stream (a file-stored object), draining as it goes: it is never held whole. */
  async appendStream(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      this.append(chunk);
      await this.drain();
    }
  }

  async drain(): Promise<void> {
    for (const piece of this.sealed.splice(0)) {
      this.hash.update(piece);
      await this.sink.write(piece);
    }
  }

  /** Writes what is left and the trailing checksum, and returns the checksum. */
  async finish(): Promise<Buffer> {
    this.seal();
    await this.drain();
    const checksum = this.hash.digest();
    await this.sink.write(checksum);
    return checksum;
  }

  /** Bytes of the whole pack once finished: everything appended plus the checksum. */
  get totalBytes(): number {
    return this.position + this.format.rawLength;
  }

  private reserve(length: number): void {
    if (this.staged + length > STAGING_BYTES) this.seal();
  }

  private advanceTo(end: number): void {
    this.position += end - this.staged;
    this.staged = end;
  }

  private seal(): void {
    if (this.staged === 0) return;
    this.sealed.push(this.staging.subarray(0, this.staged));
    // The sink may keep the piece until it is sent: the next one gets a new buffer.
    this.staging = Buffer.allocUnsafe(STAGING_BYTES);
    this.staged = 0;
  }
}
