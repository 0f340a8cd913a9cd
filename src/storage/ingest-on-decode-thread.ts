import type { Kysely } from 'kysely';
import type { ObjectFormat } from '../git/object-format.js';
import { rawPieces } from '../git/pack-reader.js';
import { ScannedTreeCursor, scanMismatch } from '../git/scanned-trees.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import { BATCH_BYTES, DecodedBatchCursor, type DecodedBatch } from './decoded-batch.js';
import type { DecodeThread } from './decode-thread.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest-types.js';
import { abandoningOnError, ingestFsckPolicy, IngestWrites } from './ingest-writes.js';
import type { SpillingPackSpool } from './pack-file-spool.js';

/** Reader caches of the decode thread (`PackReaderOptions`). */
export interface DecodeCaches {
  readonly baseCacheBytes: number;
  readonly deltaCacheBytes: number;
  readonly recentContentBytes: number;
}

/**
 * The decode thread's reader memory. A ring of the last 32 MiB of contents: an OFS_DELTA whose
 * base is still in it is applied as it is scanned, inflated once and never read back from the
 * spool (99.8 % of the deltas of the bench's `large` pack; 16 MiB: 90 %). The base and delta
 * caches serve only the deltas left to the resolver after the scan, so they are smaller than on
 * the request's thread (32 and 16 MiB there): with those, the ring raised the large push's peak
 * RSS by 30-60 MB, as the resolver's few bases filled the base cache at the push's end
 * (docs/scale.md, "Each delta inflated once").
 */
export const DECODE_THREAD_CACHES: DecodeCaches = {
  baseCacheBytes: 8 * 1024 * 1024,
  deltaCacheBytes: 4 * 1024 * 1024,
  recentContentBytes: 32 * 1024 * 1024,
};

/**
 * The ingest of a received pack with its decoding (scan, inflate, SHA-1, deltas) on a thread of
 * its own, while this thread checks (fsck) and writes: the decode, our writes and the database
 * server overlap on two cores. fsck stays here, next to the writes and the repository it reads:
 * on the decode thread it made that thread the longer one (repo-small, CPU ms: decode 920 with
 * fsck, 670 without; writes 390) and needed calls across for its repository checks. Only its
 * scan of each tree (syntax, names, modes, order) runs there (`TreeScanner`): in a big push's
 * tree phase this thread is the longer one and the decode thread waits for it
 * (docs/scale.md, "fsck's tree scan on the decode thread"). Runs
 * inside the ingest's transaction `trx`, with the same result and the same errors as the
 * ingest on one thread. The caller releases `thread` afterwards. `pack.expectedObjects`: the
 * objects the pack declares (sizes the writer's COPYs).
 */
export async function ingestOnDecodeThread(
  thread: DecodeThread,
  deps: IngestDeps,
  trx: Kysely<Database>,
  repoId: number,
  spool: SpillingPackSpool,
  format: ObjectFormat,
  options: IngestOptions,
  caches: DecodeCaches,
  pack: { readonly expectedObjects?: number } = {},
): Promise<IngestResult> {
  const policy = ingestFsckPolicy(deps, options);
  thread.start({
    formatName: format.name,
    ...(policy ? { treeFsck: { strict: policy.strict, ignore: [...policy.ignore] } } : {}),
    spool: spool.handOff(),
    ...(options.limits ? { limits: options.limits } : {}),
    threads: deps.threads ?? 1,
    largeObjectThreshold: deps.largeObjectThreshold,
    ...caches,
  });
  const writes = new IngestWrites(deps, trx, repoId, format, options, pack.expectedObjects);
  const written = new WrittenPayloads(thread, writes);
  return abandoningOnError(writes, async () => {
    for await (const message of thread.messages()) {
      if (message.kind === 'batch') {
        await writeBatch(writes, message.batch, spool, format);
        written.add(message.batch);
        thread.batchWritten();
      } else if (message.kind === 'base') {
        thread.answerBase(message.call, await writes.externalBase(message.id));
      } else if (message.kind === 'done') {
        return writes.finish(message.externalBases, message.checksum);
      }
    }
    throw new MegaError('internal', 'ingest_decode_thread_failed', 'pack decode thread ended early');
  });
}

/**
 * Written batches' payload buffers, handed back to the decode thread once the writer holds
 * none of their rows (`IngestWrites.rowsReleased`): their pages stay mapped, where a fresh 4 MiB
 * buffer per batch page-faulted on each page the decode thread filled (docs/scale.md, "Batch
 * buffers handed back"). Only the writer keeps views of a batch's bytes past `writeBatch`.
 */
class WrittenPayloads {
  /** Buffers of written batches, with the writer's `rowsAdded` once each was written. */
  private readonly held: { bytes: ArrayBuffer; rows: number }[] = [];

  constructor(
    private readonly thread: DecodeThread,
    private readonly writes: IngestWrites,
  ) {}

  add(batch: DecodedBatch): void {
    const bytes = batch.bytes.buffer as ArrayBuffer;
    if (bytes.byteLength === BATCH_BYTES) this.held.push({ bytes, rows: this.writes.rowsAdded });
    const released = this.writes.rowsReleased;
    while (this.held.length > 0 && this.held[0]!.rows <= released)
      this.thread.recycle(this.held.shift()!.bytes);
  }
}

/** Checks and writes each object of a decode thread's batch, as the ingest on one thread does. */
async function writeBatch(
  writes: IngestWrites,
  batch: DecodedBatch,
  spool: SpillingPackSpool,
  format: ObjectFormat,
): Promise<void> {
  const trees = batch.trees && new ScannedTreeCursor(batch.trees);
  const item = new DecodedBatchCursor(batch, format);
  while (item.next()) {
    if (item.kind === 'large-blob') {
      writes.addLargeBlob(item.id, item.size, rawPieces(spool, item.dataStart, item.compressedLength));
      continue;
    }
    // The cursor is the object: nothing keeps it past the call (`DecodedBatchCursor`).
    const done =
      item.kind === 'whole-blob'
        ? writes.addWholeBlob(item, item.rawIds, item.rawAt)
        : writes.add(item, item.rawIds, item.rawAt, trees);
    if (done) await done;
  }
  if (trees && !trees.done) throw scanMismatch();
}
