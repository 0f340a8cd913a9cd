import { SHA1, type ObjectFormat } from './object-format.js';
import { PackScanner } from './pack-scanner.js';
import type { PackSpool } from './pack-spool.js';
import { DEFAULT_PACK_READER_LIMITS, type PackReaderLimits } from './pack-types.js';

export interface SpoolPackOptions {
  readonly format?: ObjectFormat;
  readonly limits?: Partial<PackReaderLimits>;
}

/**
 * Receives one pack from an input that may go on after it (git over SSH) into `spool`, stopping
 * at the pack's trailer, and returns the pack's length. It reads what `readPack` would (header,
 * each entry's zlib stream to its end, the checksum) with the same limits and errors, but keeps
 * no content, so memory stays bounded whatever the objects' sizes. For callers that must hold
 * the whole pack before indexing it (SQLite's one connection is not taken during an upload);
 * the pack is then inflated a second time by `readPack` over the spool.
 */
export async function spoolPackToTrailer(
  source: AsyncIterable<Uint8Array>,
  spool: PackSpool,
  options: SpoolPackOptions = {},
): Promise<number> {
  const limits = { ...DEFAULT_PACK_READER_LIMITS, ...options.limits };
  const scanner = new PackScanner(source, options.format ?? SHA1, limits, spool, {
    stopAtTrailer: true,
    framingOnly: true,
  });
  const { count } = await scanner.readHeader();
  for (let index = 0; index < count; index++) {
    const next = scanner.nextEntry();
    if (next instanceof Promise) await next;
  }
  await scanner.readTrailer();
  return scanner.scannedBytes;
}
