/**
 * Where a pack's bytes are kept while it is being indexed, so delta bases can be re-read instead
 * of held in memory. The git core does no I/O: callers that want a file-backed spool (storage,
 * repo) implement this interface; `MemoryPackSpool` keeps the chunks in memory.
 */
export interface PackSpool {
  /** Appends the next input chunk; called in order with every byte of the pack. */
  append(chunk: Buffer): void | Promise<void>;
  /** Returns `length` bytes at absolute `offset` (already appended). */
  read(offset: number, length: number): Buffer | Promise<Buffer>;
  /**
   * Optional: fills `target` with the bytes at `offset` (already appended), synchronously. A
   * spool whose `read` allocates (a file) offers it, so a big blob streams through one reused
   * buffer instead of leaving a fresh buffer per piece for the garbage collector.
   */
  readInto?(offset: number, target: Buffer): void;
}

/** Keeps the pack as its input chunks; reads inside one chunk are zero-copy. */
export class MemoryPackSpool implements PackSpool {
  private readonly chunks: Buffer[] = [];
  private readonly starts: number[] = [];
  private size = 0;

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.size);
    this.size += chunk.length;
  }

  get length(): number {
    return this.size;
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || offset + length > this.size) throw new RangeError('spool read out of range');
    let index = this.chunkAt(offset);
    const first = this.chunks[index]!;
    const local = offset - this.starts[index]!;
    if (local + length <= first.length) return first.subarray(local, local + length);
    const out = Buffer.allocUnsafe(length);
    let copied = first.copy(out, 0, local);
    while (copied < length) {
      const chunk = this.chunks[++index]!;
      copied += chunk.copy(out, copied, 0, Math.min(chunk.length, length - copied));
    }
    return out;
  }

  /** The whole pack as one buffer. */
  toBuffer(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }

  private chunkAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
