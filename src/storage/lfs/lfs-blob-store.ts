import type { Readable } from 'node:stream';

/** LFS object ids are lowercase hex sha256; nothing else may become a file name or a key. */
const OID_PATTERN = /^[0-9a-f]{64}$/;

/** Throws unless `oid` is a lowercase hex sha256 (the only names a store accepts). */
export function requireBlobOid(oid: string): string {
  if (!OID_PATTERN.test(oid)) throw new Error('invalid LFS object id');
  return oid;
}

export interface ByteSpan {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/**
 * Where LFS object contents live, by oid. Three implementations share this contract
 * (`file:DIR`, `db`, `s3://…`, chosen by `MEGA_LFS_STORE`, see `open-lfs-blob-store.ts`):
 * - `put` streams the content in while hashing it and makes it readable under `oid` only after
 *   the sha256 and (when given) the size matched; a failed or hostile upload leaves nothing
 *   readable and removes what it staged. Storing an oid that is already there is harmless.
 * - `open` streams the content (or one span of it) without holding it in memory.
 */
export interface LfsBlobStore {
  /** `file:/path`, `db` or `s3://bucket` — for logs and messages, never with credentials. */
  readonly description: string;
  /**
   * Stores the bytes `openBody` yields as `oid`. `openBody` is called once the store is ready to
   * consume, so a request body never flows (or fails) unobserved. Throws `lfs_object_size_mismatch`
   * / `lfs_object_hash_mismatch` (invalid) when the bytes are not what was announced. → size.
   */
  put(oid: string, openBody: () => Readable, expectedSize?: number): Promise<number>;
  /** Streams the stored content or a span of it (throws when absent: call `stat` first). */
  open(oid: string, span?: ByteSpan): Promise<Readable>;
  /** Size of the stored content, or undefined when the store does not hold it. */
  stat(oid: string): Promise<number | undefined>;
  has(oid: string): Promise<boolean>;
  /** Deletes the content (a no-op when absent). */
  delete(oid: string): Promise<void>;
  /**
   * Removes what uploads a crashed process staged, when older than `olderThanMs`: another server
   * sharing the store may still be writing the younger ones. → how many were removed.
   */
  removeStaleUploads(olderThanMs: number, now?: number): Promise<number>;
  /** Releases connections the store holds (the S3 client); idempotent. */
  close(): Promise<void>;
}
