import { promisify } from 'node:util';
import zlib from 'node:zlib';

const inflateAsync = promisify(zlib.inflate);
/** Small payloads inflate faster synchronously than through the thread pool. */
const SYNC_INFLATE_BYTES = 64 * 1024;

/**
 * Inflates a stored payload whose inflated size is known into a buffer of about that size. zlib's
 * default 16 KiB output chunk would otherwise stay allocated behind every small result: a cache
 * of 50,000 small trees then holds 800 MB while counting only their real bytes.
 */
export function inflateExact(deflated: Buffer, size: number): Buffer | Promise<Buffer> {
  const options = { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, size + 1) };
  return deflated.length < SYNC_INFLATE_BYTES
    ? zlib.inflateSync(deflated, options)
    : inflateAsync(deflated, options);
}

/** The synchronous form, for callers that resolve in memory (small stored trees). */
export function inflateExactSync(deflated: Buffer, size: number): Buffer {
  return zlib.inflateSync(deflated, { chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, size + 1) });
}
