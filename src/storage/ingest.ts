import { SHA1 } from '../git/object-format.js';
import { spoolPackToTrailer } from '../git/pack-framing.js';
import { readPack } from '../git/pack-reader.js';
import type { PackSpool } from '../git/pack-spool.js';
import type { PackReaderOptions, PackReadResult } from '../git/pack-types.js';
import { MegaError, tooLarge } from '../platform/errors.js';
import { releaseDecodeThread, takeDecodeThread } from './decode-thread.js';
import { DECODE_THREAD_CACHES, ingestOnDecodeThread } from './ingest-on-decode-thread.js';
import { abandoningOnError, IngestWrites } from './ingest-writes.js';
import { SpillingPackSpool, spoolDirectory } from './pack-file-spool.js';
import { inTransaction } from './transaction.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest-types.js';

export type { IngestDeps, IngestOptions, IngestResult } from './ingest-types.js';

/**
 * Reader memory for one ingest. The reader's own defaults (96 + 64 MiB, like git's
 * core.deltaBaseCacheLimit) suit a one-off index; a server runs ingests next to clones, and
 * bases that fall out are re-inflated from the spool, which holds the pack anyway.
 */
const INGEST_BASE_CACHE_BYTES = 32 * 1024 * 1024;
const INGEST_DELTA_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Decodes a pack with the git core's reader and stores every object, pack-ready, in ONE
 * transaction: the objects, their parsed commits and the repository's membership become
 * visible together or not at all (a stream that fails halfway rolls everything back). Thin-pack
 * bases are resolved only from objects this repository already holds.
 */
export async function ingestPack(
  deps: IngestDeps,
  repoId: number,
  source: AsyncIterable<Uint8Array>,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const format = options.format ?? SHA1;
  const spool = new SpillingPackSpool(spoolDirectory(deps.dataDir), options.spoolMemoryBytes);
  try {
    let readerSpool: PackSpool = spool;
    // A decode thread reads a pack received whole. Where the pack is not the whole source, only
    // SQLite pays to find its end first (below); a server database keeps streaming it.
    let decodeThread =
      deps.decodeThreadMinObjects !== undefined &&
      (!options.stopAtTrailer || deps.capabilities.singleConnection);
    // The objects the pack declares, where read before the decoding (sizes the writer's COPYs).
    let expectedObjects: number | undefined;
    if (decodeThread && !deps.capabilities.singleConnection) {
      // A server database streams a pack too small for the thread, decoding while it arrives.
      const peeked = await peekDeclaredObjects(source);
      source = peeked.source;
      expectedObjects = peeked.declared;
      decodeThread = peeked.declared >= deps.decodeThreadMinObjects!;
    }
    let packSource = source;
    if (deps.capabilities.singleConnection || decodeThread) {
      // Receive the whole pack before taking the only connection: a slow client must not stall
      // every other query of the process for the length of its upload. Where the pack is not
      // the whole source, finding its end means inflating it once here (docs/ssh.md).
      const size = options.stopAtTrailer
        ? await spoolPackToTrailer(source, spool, {
            format,
            ...(options.limits ? { limits: options.limits } : {}),
          })
        : await receiveAll(source, spool, options.limits?.maxPackSize);
      expectedObjects = declaredObjects(spool, size);
      const thread =
        decodeThread && expectedObjects >= deps.decodeThreadMinObjects! ? takeDecodeThread() : undefined;
      if (thread) {
        try {
          return await inTransaction(deps.db, (trx) =>
            ingestOnDecodeThread(thread, deps, trx, repoId, spool, format, options, DECODE_THREAD_CACHES, {
              expectedObjects,
            }),
          );
        } finally {
          await releaseDecodeThread(thread);
        }
      }
      packSource = replay(spool, size);
      readerSpool = {
        append: () => undefined,
        read: (offset, length) => spool.read(offset, length),
        readInto: (offset, target) => spool.readInto(offset, target),
      };
    }
    return await inTransaction(deps.db, async (trx) => {
      const writes = new IngestWrites(deps, trx, repoId, format, options, expectedObjects);
      return abandoningOnError(writes, async () => {
        const { externalBases, checksum } = await packSummary(packSource, {
          format,
          spool: readerSpool,
          threads: deps.threads ?? 1,
          // A replayed pack is exactly the spooled bytes; a streamed one may be followed by more.
          stopAtTrailer: packSource === source && (options.stopAtTrailer ?? false),
          baseCacheBytes: INGEST_BASE_CACHE_BYTES,
          deltaCacheBytes: INGEST_DELTA_CACHE_BYTES,
          ...(options.limits ? { limits: options.limits } : {}),
          resolveExternalBase: (id) => writes.externalBase(id),
          // Blobs that will be stored as chunks go there straight from the spool, never whole.
          largeBlobThreshold: deps.largeObjectThreshold,
          onLargeBlob: (object, raw) => writes.addLargeBlob(object.id, object.size, raw),
          onObject: (object, content) =>
            writes.add({
              id: object.id,
              type: object.type,
              data: content.data,
              raw: content.raw,
              deltaBase: object.deltaBase,
              deltaSize: object.deltaSize,
            }),
        });
        return writes.finish(externalBases, checksum.toString('hex'));
      });
    });
  } catch (error) {
    // Two pushes writing overlapping objects in different orders can deadlock on a server
    // database; the loser is rolled back whole and may simply push again.
    if (deps.capabilities.isRetryableConflict(error)) {
      throw new MegaError(
        'conflict',
        'ingest_conflict',
        'concurrent write of the same objects, try again',
        {},
        { cause: error },
      );
    }
    throw error;
  } finally {
    await spool.dispose();
  }
}

/**
 * Reads the pack, keeping only its summary. The reader's list of every object (a `PackedObject`
 * each, ~130 bytes) must not stay alive through the membership and fsck writes that follow: a
 * result awaited in the ingest's own frame would, as a temporary of that frame.
 */
async function packSummary(
  source: AsyncIterable<Uint8Array>,
  options: PackReaderOptions,
): Promise<Pick<PackReadResult, 'externalBases' | 'checksum'>> {
  const { externalBases, checksum } = await readPack(source, options);
  return { externalBases, checksum };
}

/** `PACK`, version, object count: where a received pack declares how many objects it has. */
const PACK_HEADER_BYTES = 12;

/** The object count a received pack declares (0 when it is too short to say). */
function declaredObjects(spool: SpillingPackSpool, size: number): number {
  return size < PACK_HEADER_BYTES ? 0 : spool.read(0, PACK_HEADER_BYTES).readUInt32BE(8);
}

/**
 * The object count a pack declares, read from the first chunks of `source` (0 when it ends
 * before the header), and the whole stream again, those chunks included.
 */
async function peekDeclaredObjects(
  source: AsyncIterable<Uint8Array>,
): Promise<{ declared: number; source: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  while (size < PACK_HEADER_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    size += next.value.length;
  }
  const header = Buffer.concat(head);
  const declared = size < PACK_HEADER_BYTES ? 0 : header.readUInt32BE(8);
  async function* again(): AsyncGenerator<Uint8Array> {
    try {
      yield* head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  return { declared, source: again() };
}

/** Bytes handed to the pack reader per chunk when replaying a received pack. */
const REPLAY_CHUNK = 1024 * 1024;

/** Appends the whole stream to `spool`; returns its size. Enforces `maxPackSize` while receiving. */
async function receiveAll(
  source: AsyncIterable<Uint8Array>,
  spool: SpillingPackSpool,
  maxPackSize = Number.MAX_SAFE_INTEGER,
): Promise<number> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > maxPackSize) {
      throw tooLarge('pack_too_large', 'pack is larger than allowed', { limit: maxPackSize });
    }
    await spool.append(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
  }
  return size;
}

async function* replay(spool: SpillingPackSpool, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < size; offset += REPLAY_CHUNK) {
    yield await spool.read(offset, Math.min(REPLAY_CHUNK, size - offset));
  }
}
