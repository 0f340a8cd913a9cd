import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { invalid } from '../../platform/errors.js';

/**
 * Passes an upload's bytes through while hashing and counting them, and fails the stream as soon
 * as it carries more than the announced size (a hostile client cannot fill the store past it).
 * After the stream ended, `check(oid)` throws unless the sha256 and the size match.
 */
export class VerifiedBody extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly expectedSize: number | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      callback(this.sizeMismatch());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Throws `lfs_object_size_mismatch` or `lfs_object_hash_mismatch`; → the size. */
  check(oid: string): number {
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) throw this.sizeMismatch();
    const received = this.hash.digest('hex');
    if (received !== oid) {
      throw invalid('lfs_object_hash_mismatch', 'uploaded content does not match the object id', {
        oid,
        received,
      });
    }
    return this.bytes;
  }

  private sizeMismatch(): Error {
    return invalid('lfs_object_size_mismatch', 'uploaded size does not match the declared size', {
      expected: this.expectedSize,
      received: this.bytes,
    });
  }
}
