import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';

/** Ids per storage chunk: chunks are never copied when the list grows. */
const CHUNK_IDS = 1 << 16;
const CHUNK_SHIFT = 16;

/**
 * A list of object ids held as raw bytes, 20 (or 32) bytes an id in chunks of 64k, instead of a
 * hex string each (~56 bytes plus the list's slot): for lists with an entry per object of a push
 * that are read back only now and then (fsck names the first object linking to a bad one).
 */
export class RawIdList {
  private readonly chunks: Buffer[] = [];
  private count = 0;

  constructor(private readonly format: ObjectFormat) {}

  get length(): number {
    return this.count;
  }

  /** Appends the hex id (well formed: an `ObjectId`). */
  push(id: ObjectId): void {
    const raw = this.format.rawLength;
    if (this.count >>> CHUNK_SHIFT === this.chunks.length) this.chunks.push(Buffer.alloc(CHUNK_IDS * raw));
    this.chunkOf(this.count).write(id, (this.count & (CHUNK_IDS - 1)) * raw, raw, 'hex');
    this.count++;
  }

  /** Appends the raw id at `data[offset…]`. */
  pushRaw(data: Uint8Array, offset: number): void {
    const raw = this.format.rawLength;
    if (this.count >>> CHUNK_SHIFT === this.chunks.length) this.chunks.push(Buffer.alloc(CHUNK_IDS * raw));
    const chunk = this.chunkOf(this.count);
    const at = (this.count & (CHUNK_IDS - 1)) * raw;
    for (let i = 0; i < raw; i++) chunk[at + i] = data[offset + i] as number;
    this.count++;
  }

  /** The hex id at `index` (made on each call). */
  at(index: number): ObjectId {
    return objectIdFromRaw(
      this.chunkOf(index),
      (index & (CHUNK_IDS - 1)) * this.format.rawLength,
      this.format,
    );
  }

  private chunkOf(index: number): Buffer {
    return this.chunks[index >>> CHUNK_SHIFT] as Buffer;
  }
}
