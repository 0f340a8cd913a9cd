import type { Kysely } from 'kysely';
import { STRICT_FSCK, type FsckPolicy } from '../git/fsck-report.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectType } from '../git/object.js';
import { DenseIdIndex } from '../git/dense-id-index.js';
import { ObjectGraph } from '../git/object-graph.js';
import { PackFsck, TreeEdgeList } from '../git/pack-fsck.js';
import type { ScannedTreeCursor } from '../git/scanned-trees.js';
import type { Database } from './database.js';
import { finishPackFsck, throwIfRefused } from './ingest-fsck.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest-types.js';
import { ObjectStore } from './object-store.js';
import { ObjectWriter, type IncomingObject, type WholeBlob } from './object-writer.js';
import { PackReferences } from './pack-references.js';

/** The fsck policy an ingest checks its objects with; undefined when it runs no fsck. */
export function ingestFsckPolicy(deps: IngestDeps, options: IngestOptions): FsckPolicy | undefined {
  return (options.fsck ?? true) ? (deps.fsck ?? STRICT_FSCK) : undefined;
}

/**
 * Runs `work`, an ingest's reading and writing through `writes`; when it fails, the writes are
 * abandoned (`IngestWrites.abandon`) before the error goes on to roll the transaction back.
 */
export async function abandoningOnError<T>(writes: IngestWrites, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await writes.abandon();
    throw error;
  }
}

/**
 * What an ingest does with each decoded object inside its transaction, whichever thread decoded
 * it: fsck, the references and graph the push asked for, the write. One place, so the ingest on
 * one thread and the one beside a decode thread check and store exactly alike.
 */
export class IngestWrites {
  private readonly reader: ObjectStore;
  private readonly writer: ObjectWriter;
  private readonly checker: PackFsck | undefined;
  private readonly references: PackReferences | undefined;
  private readonly graph: ObjectGraph | undefined;
  /** With both fsck and the graph: fsck's scan of each tree hands the graph its edges. */
  private readonly treeEdges: TreeEdgeList | undefined;

  constructor(
    deps: IngestDeps,
    trx: Kysely<Database>,
    private readonly repoId: number,
    format: ObjectFormat,
    private readonly options: IngestOptions,
    expectedObjects?: number,
  ) {
    this.reader = new ObjectStore(trx, deps.capabilities);
    // fsck walks every tree anyway, so it also collects the references the push needs, and the
    // graph's edges: one parse of each tree, one lookup of each entry's id in one shared index,
    // in which the writer numbers its ids too.
    const ids = new DenseIdIndex(format.rawLength);
    this.writer = new ObjectWriter(trx, deps.capabilities, {
      repoId,
      format,
      largeObjectThreshold: deps.largeObjectThreshold,
      ...(deps.runPreparedBatch ? { runPreparedBatch: deps.runPreparedBatch } : {}),
      // The clone walks of a first push take their row keys from the write (`IngestResult`).
      keepRowKeys: options.collectGraph === true,
      ids,
      ...(expectedObjects !== undefined ? { expectedObjects } : {}),
    });
    const policy = ingestFsckPolicy(deps, options);
    this.graph = options.collectGraph ? new ObjectGraph(format, undefined, ids) : undefined;
    this.treeEdges = policy && this.graph ? new TreeEdgeList() : undefined;
    this.checker = policy
      ? new PackFsck(format, policy, undefined, {
          ids,
          ...(this.treeEdges ? { treeEdges: this.treeEdges } : {}),
        })
      : undefined;
    this.references = options.collectReferences && !this.checker ? new PackReferences(format) : undefined;
  }

  /**
   * Checks and writes one object; a promise only when the write starts a flush. `rawIds` (a
   * decode thread's batch): the object's raw id at `rawAt`, its delta base's right after it, so
   * no one parses the hex ids back. `scannedTrees` (a decode thread's batch): its trees were
   * scanned there by fsck's rules (`treeFsck` of its setup), one scan per tree, in order.
   */
  add(
    object: IncomingObject,
    rawIds?: Uint8Array,
    rawAt = 0,
    scannedTrees?: ScannedTreeCursor,
  ): void | Promise<void> {
    if (this.checker) {
      // With raw ids fsck makes the hex id only if it reports the object (the cursor's is lazy).
      const id = rawIds ? undefined : object.id;
      const number = this.checker.add(id, object.type, object.data, rawIds, rawAt, scannedTrees);
      // Stop at the first bad object: nothing of the pack will be kept anyway.
      throwIfRefused(this.checker);
      if (this.graph && this.treeEdges) {
        const { type, data, deltaBase } = object;
        this.graph.addChecked(number, type, data, this.treeEdges, deltaBase, rawIds, rawAt);
      }
      // fsck numbered the id in the index the writer shares: one hash and probe per object.
      return this.writer.add(object, rawIds, rawAt, number);
    }
    this.references?.add(object.type, object.data);
    this.graph?.add(object.id, object.type, object.data, object.deltaBase, rawIds, rawAt);
    return this.writer.add(object, rawIds, rawAt);
  }

  /**
   * A blob stored whole in the pack, handed over without its content (a decode thread's batch):
   * `raw` is its zlib stream, stored as it is; its raw id is `rawIds[rawAt…]`. A dotfile among
   * such blobs is checked from the written rows at the end (`finishPackFsck`).
   */
  addWholeBlob(blob: WholeBlob, rawIds: Uint8Array, rawAt: number): void | Promise<void> {
    if (this.checker) {
      const number = this.checker.addBlobWithoutContent(undefined, rawIds, rawAt);
      if (this.graph && this.treeEdges)
        this.graph.addChecked(number, 'blob', undefined, this.treeEdges, undefined, rawIds, rawAt);
      return this.writer.addWholeBlob(blob, rawIds, rawAt, number);
    }
    this.graph?.add(blob.id, 'blob', undefined, undefined, rawIds, rawAt);
    return this.writer.addWholeBlob(blob, rawIds, rawAt);
  }

  /** A blob stored as chunks straight from the spool, never whole. */
  addLargeBlob(id: ObjectId, size: number, raw: AsyncIterable<Buffer>): void {
    this.checker?.addStreamedBlob(id, size);
    this.graph?.add(id, 'blob', undefined);
    this.writer.addLargeBlob(id, size, raw);
  }

  /**
   * Rows the writer took so far, and how many of the first ones it no longer holds
   * (`ObjectWriter.rowsReleased`): a batch whose objects are all among those may be reused.
   * Only the writer keeps views of an object's bytes: fsck and the graph copy what they keep.
   */
  get rowsAdded(): number {
    return this.writer.rowsAdded;
  }

  get rowsReleased(): number {
    return this.writer.rowsReleased;
  }

  /**
   * A thin pack's base from the repository, noted for the writer's delta chains. Read once the
   * writer's statements are done (`ObjectWriter.idle`).
   */
  async externalBase(id: ObjectId): Promise<{ type: ObjectType; data: Buffer } | undefined> {
    await this.writer.idle();
    const base = await this.reader.read(this.repoId, id);
    if (!base) return undefined;
    const form = await this.reader.storedForm(id);
    this.writer.noteExistingBase(id, form?.depth ?? 0, form?.chunked ?? false);
    return base;
  }

  private graphAndRowKeys(graph: ObjectGraph): Pick<IngestResult, 'graph' | 'writtenRowKeys'> {
    const writtenRowKeys = this.writer.writtenRowKeys();
    return { graph, ...(writtenRowKeys ? { writtenRowKeys } : {}) };
  }

  /**
   * For an ingest that failed: the writer starts no further statement, and this resolves once
   * none of its statements is on the wire (`ObjectWriter.abandon`), before the caller's
   * transaction rolls back.
   */
  abandon(): Promise<void> {
    return this.writer.abandon();
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
      ...(this.graph?.usable ? this.graphAndRowKeys(this.graph) : {}),
    };
  }
}
