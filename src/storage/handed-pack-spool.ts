import { closeSync, openSync, readSync } from 'node:fs';
import type { PackSpool } from '../git/pack-spool.js';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';

/**
 * A received pack as another thread can read it: the spool's temp file by path, or (a pack small
 * enough to stay in memory) one copy of its bytes in shared memory.
 */
export type HandedSpool =
  | { readonly kind: 'file'; readonly path: string; readonly size: number }
  | { readonly kind: 'memory'; readonly bytes: SharedArrayBuffer; readonly size: number };

/**
 * The read side of a handed spool, on the thread that decodes the pack. The pack is complete, so
 * `append` does nothing (the reader is fed the same bytes back). `close()` in a `finally`.
 */
export class HandedPackSpool implements PackSpool {
  private readonly memory: Buffer | undefined;
  private fd: number | undefined;
  readonly size: number;

  constructor(handed: HandedSpool) {
    this.size = handed.size;
    if (handed.kind === 'memory') this.memory = Buffer.from(handed.bytes, 0, handed.size);
    else this.fd = openSync(handed.path, 'r');
  }

  append(): void {}

  read(offset: number, length: number): Buffer {
    this.checkRange(offset, length);
    if (this.memory) return this.memory.subarray(offset, offset + length);
    const out = Buffer.allocUnsafe(length);
    this.readInto(offset, out);
    // Used once and dropped, like the reads of `SpillingPackSpool`.
    noteBufferGarbage(length);
    return out;
  }

  readInto(offset: number, target: Buffer): void {
    this.checkRange(offset, target.length);
    if (this.memory) {
      this.memory.copy(target, 0, offset, offset + target.length);
      return;
    }
    for (let done = 0; done < target.length;) {
      const bytesRead = readSync(this.fd!, target, done, target.length - done, offset + done);
      if (bytesRead === 0) throw new RangeError('spool file ended early');
      done += bytesRead;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || offset + length > this.size) throw new RangeError('spool read out of range');
  }
}
