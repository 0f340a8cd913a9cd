import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { STRICT_FSCK } from '../git/fsck-report.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { ObjectGraph } from '../git/object-graph.js';
import { rawPieces } from '../git/pack-reader.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import { decodedItems, type DecodedBatch } from './decoded-batch.js';
import type { DecodeThread } from './decode-thread.js';
import type { FromDecodeThread, RepositoryCall } from './decode-thread-messages.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest.js';
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
 * The ingest of a received pack with its decoding (scan, inflate, SHA-1, deltas, fsck) on a
 * thread of its own, while this thread only writes: the decode, our writes and the database
 * server overlap on two cores. Runs inside the ingest's transaction `trx`, with the same result
 * and the same errors as the ingest on this thread. The caller releases `thread` afterwards.
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
  const fsck = options.fsck ?? true;
  thread.start({
    formatName: format.name,
    spool: spool.handOff(),
    ...(options.limits ? { limits: options.limits } : {}),
    fsck: fsck ? (deps.fsck ?? STRICT_FSCK) : undefined,
    threads: deps.threads ?? 1,
    largeObjectThreshold: deps.largeObjectThreshold,
    ...caches,
  });
  const writes = new DecodedWrites(deps, trx, repoId, spool, format, options);
  try {
    let decoded: Extract<FromDecodeThread, { kind: 'decoded' }> | undefined;
    let outside: readonly ObjectId[] | undefined;
    for await (const message of thread.messages()) {
      if (message.kind === 'batch') {
        await writes.addBatch(message.batch);
        thread.batchWritten();
      } else if (message.kind === 'call') {
        thread.reply(message.call, await writes.answer(message.request));
      } else if (message.kind === 'decoded') {
        decoded = message;
        await writes.finish();
        thread.finish();
      } else if (message.kind === 'done') {
        outside = message.outside;
      }
    }
    if (!decoded)
      throw new MegaError('internal', 'ingest_decode_thread_failed', 'pack decode thread ended early');
    return writes.result(decoded.externalBases, decoded.checksum, outside);
  } finally {
    writes.closeStreams();
  }
}

/** What the request's thread does with the decode thread's objects and calls. */
class DecodedWrites {
  private readonly reader: ObjectStore;
  private readonly writer: ObjectWriter;
  private readonly references: PackReferences | undefined;
  private readonly graph: ObjectGraph | undefined;
  private summary: Awaited<ReturnType<ObjectWriter['finish']>> | undefined;
  /** Repository contents fsck is reading, by the number the decode thread knows them by. */
  private readonly streams = new Map<number, { stream: Readable; chunks: AsyncIterator<Buffer> }>();
  private nextStream = 0;

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
    // With fsck, the decode thread collects the references (fsck walks every tree anyway).
    const fsck = options.fsck ?? true;
    this.references = options.collectReferences && !fsck ? new PackReferences(format) : undefined;
    this.graph = options.collectGraph ? new ObjectGraph(format) : undefined;
  }

  async addBatch(batch: DecodedBatch): Promise<void> {
    for (const item of decodedItems(batch, this.format)) {
      if (item.kind === 'large-blob') {
        this.graph?.add(item.id, 'blob', undefined);
        this.writer.addLargeBlob(
          item.id,
          item.size,
          rawPieces(this.spool, item.dataStart, item.compressedLength),
        );
        continue;
      }
      const { object } = item;
      this.references?.add(object.type, object.data);
      this.graph?.add(object.id, object.type, object.data, object.deltaBase);
      const done = this.writer.add(object);
      if (done) await done;
    }
  }

  async answer(request: RepositoryCall): Promise<unknown> {
    switch (request.method) {
      case 'base': {
        const base = await this.reader.read(this.repoId, request.id);
        if (!base) return undefined;
        const form = await this.reader.storedForm(request.id);
        this.writer.noteExistingBase(request.id, form?.depth ?? 0, form?.chunked ?? false);
        return base;
      }
      case 'types':
        return [...(await this.reader.types(this.repoId, request.ids))];
      case 'open': {
        const content = await this.reader.openContent(this.repoId, request.id);
        if (!content) return undefined;
        const stream = this.nextStream++;
        this.streams.set(stream, { stream: content.stream, chunks: content.stream[Symbol.asyncIterator]() });
        return { type: content.type, size: content.size, stream };
      }
      case 'next': {
        const next = await this.streams.get(request.stream)?.chunks.next();
        return next && !next.done ? next.value : undefined;
      }
      case 'close':
        this.streams.get(request.stream)?.stream.destroy();
        this.streams.delete(request.stream);
        return undefined;
    }
  }

  async finish(): Promise<void> {
    this.summary = await this.writer.finish();
  }

  result(
    externalBases: readonly ObjectId[],
    checksum: string,
    outside: readonly ObjectId[] | undefined,
  ): IngestResult {
    const summary = this.summary!;
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

  closeStreams(): void {
    for (const { stream } of this.streams.values()) stream.destroy();
    this.streams.clear();
  }
}
