import type { Kysely } from 'kysely';
import { STRICT_FSCK } from '../git/fsck-report.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectType } from '../git/object.js';
import { ObjectGraph } from '../git/object-graph.js';
import { PackFsck } from '../git/pack-fsck.js';
import { rawPieces } from '../git/pack-reader.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import { decodedItems, type DecodedBatch } from './decoded-batch.js';
import type { DecodeThread } from './decode-thread.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest-types.js';
import { finishPackFsck, throwIfRefused } from './ingest-fsck.js';
import { ObjectStore } from './object-store.js';
import { ObjectWriter } from './object-writer.js';
import type { SpillingPackSpool } from './pack-file-spool.js';
import { PackReferences } from './pack-references.js';

/** Reader caches of the decode thread (as on the request's thread: see `ingest.ts`). */
export interface DecodeCaches {
  readonly baseCacheBytes: number;
  readonly deltaCacheBytes: number;
}

/**
 * The ingest of a received pack with its decoding (scan, inflate, SHA-1, deltas) on a thread of
 * its own, while this thread checks (fsck) and writes: the decode, our writes and the database
 * server overlap on two cores. fsck stays here, next to the writes and the repository it reads:
 * on the decode thread it made that thread the longer one (repo-small, CPU ms: decode 920 with
 * fsck, 670 without; writes 390) and needed calls across for its repository checks. Runs
 * inside the ingest's transaction `trx`, with the same result and the same errors as the
 * ingest on one thread. The caller releases `thread` afterwards.
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
): Promise<IngestResult> {
  thread.start({
    formatName: format.name,
    spool: spool.handOff(),
    ...(options.limits ? { limits: options.limits } : {}),
    threads: deps.threads ?? 1,
    largeObjectThreshold: deps.largeObjectThreshold,
    ...caches,
  });
  const writes = new DecodedWrites(deps, trx, repoId, spool, format, options);
  for await (const message of thread.messages()) {
    if (message.kind === 'batch') {
      await writes.addBatch(message.batch);
      thread.batchWritten();
    } else if (message.kind === 'base') {
      thread.answerBase(message.call, await writes.externalBase(message.id));
    } else if (message.kind === 'done') {
      return writes.finish(message.externalBases, message.checksum);
    }
  }
  throw new MegaError('internal', 'ingest_decode_thread_failed', 'pack decode thread ended early');
}

/** What the request's thread does with the decode thread's objects and calls. */
class DecodedWrites {
  private readonly reader: ObjectStore;
  private readonly writer: ObjectWriter;
  private readonly checker: PackFsck | undefined;
  private readonly references: PackReferences | undefined;
  private readonly graph: ObjectGraph | undefined;

  constructor(
    deps: IngestDeps,
    trx: Kysely<Database>,
    private readonly repoId: number,
    private readonly spool: SpillingPackSpool,
    private readonly format: ObjectFormat,
    private readonly options: IngestOptions,
  ) {
    this.reader = new ObjectStore(trx, deps.capabilities);
    this.writer = new ObjectWriter(trx, deps.capabilities, {
      repoId,
      format,
      largeObjectThreshold: deps.largeObjectThreshold,
      ...(deps.runPreparedBatch ? { runPreparedBatch: deps.runPreparedBatch } : {}),
    });
    // fsck walks every tree anyway, so it also collects the references the push needs.
    this.checker = (options.fsck ?? true) ? new PackFsck(format, deps.fsck ?? STRICT_FSCK) : undefined;
    this.references = options.collectReferences && !this.checker ? new PackReferences(format) : undefined;
    this.graph = options.collectGraph ? new ObjectGraph(format) : undefined;
  }

  /** Checks and writes a batch, as the ingest on one thread does each object it decodes. */
  async addBatch(batch: DecodedBatch): Promise<void> {
    for (const item of decodedItems(batch, this.format)) {
      if (item.kind === 'large-blob') {
        this.checker?.addStreamedBlob(item.id, item.size);
        this.graph?.add(item.id, 'blob', undefined);
        this.writer.addLargeBlob(
          item.id,
          item.size,
          rawPieces(this.spool, item.dataStart, item.compressedLength),
        );
        continue;
      }
      const { object } = item;
      if (this.checker) {
        this.checker.add(object.id, object.type, object.data);
        // Stop at the first bad object: nothing of the pack will be kept anyway.
        throwIfRefused(this.checker);
      }
      this.references?.add(object.type, object.data);
      this.graph?.add(object.id, object.type, object.data, object.deltaBase);
      const done = this.writer.add(object);
      if (done) await done;
    }
  }

  /** A thin pack's base from the repository, noted for the writer's delta chains. */
  async externalBase(id: ObjectId): Promise<{ type: ObjectType; data: Buffer } | undefined> {
    const base = await this.reader.read(this.repoId, id);
    if (!base) return undefined;
    const form = await this.reader.storedForm(id);
    this.writer.noteExistingBase(id, form?.depth ?? 0, form?.chunked ?? false);
    return base;
  }

  /** Finishes the writes, then fsck's checks against the repository; the ingest's result. */
  async finish(externalBases: readonly ObjectId[], checksum: string): Promise<IngestResult> {
    const summary = await this.writer.finish();
    const outside = this.checker ? await finishPackFsck(this.checker, this.reader, this.repoId) : undefined;
    const externalReferences = this.options.collectReferences
      ? (outside ?? this.references?.outside(summary.ids))
      : undefined;
    return {
      ids: summary.ids,
      counts: summary.counts,
      deltas: summary.deltas,
      chunked: summary.chunked,
      externalBases,
      ...(externalReferences ? { externalReferences } : {}),
      packChecksum: checksum,
      ...(this.graph?.usable ? { graph: this.graph } : {}),
    };
  }
}
