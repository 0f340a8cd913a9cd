import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { parseCommit } from '../git/commit.js';
import { hashObject, type ObjectType } from '../git/object.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { DenseIdIndex } from '../git/dense-id-index.js';
import { ObjectIdSet } from '../git/object-id-set.js';
import { notFound } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { BulkInserter, type BulkColumns } from './bulk-insert.js';
import { insertIgnore } from './insert-ignore.js';
import { membershipBulkRows, membershipCopyTuples, membershipJson, sortById } from './membership-tuples.js';
import { ObjectChunks } from './object-chunks.js';
import { objectBulkRows } from './object-bulk-rows.js';
import { commitBulkRows } from './commit-bulk-rows.js';
import { grown } from '../git/grown-array.js';
import { ObjectCopyRows, type ObjectRow } from './object-copy-rows.js';
import { rowsById } from './rows-by-id.js';
import { sizeClassOf } from './size-class.js';
import type { PreparedBatchRunner } from './open-database.js';
import { batchRows, nowTimestamp } from './sql-batches.js';

const deflate = promisify(zlib.deflate);

/** Longest delta chain kept in stored form (git's pack.depth default); longer ones are stored whole. */
export const MAX_STORED_DELTA_DEPTH = 50;
/** Rows buffered before a multi-row INSERT. */
const ROWS_PER_FLUSH = 2000;
/** Membership ids per statement at the end of a write (bounds the one list parameter's size). */
const MEMBERS_PER_STATEMENT = 50_000;
/**
 * Membership rows per bulk execute: as many as the multi-row statement it replaced took (the bind
 * limit over two columns), ~1.7 MB a packet for SHA-1 ids, below MariaDB's 16 MiB packets; a
 * connection that cannot take bulk executes gets that statement instead.
 */
const MEMBERS_PER_BULK = 32_767;
/** Bytes of blobs buffered before a flush (bounds memory during a big ingest). */
const BYTES_PER_FLUSH = 8 * 1024 * 1024;
/** Per-id columns start this long and double. */
const INITIAL_KNOWN = 4096;
/** Bits of `ObjectWriter.flags`: an object of this write, a member to link, stored as chunks. */
const OBJECT = 1;
const MEMBER = 2;
const CHUNKED = 4;
/** A member already taken into a sorted run for a membership COPY beside the decoding. */
const MEMBER_HELD = 8;
/**
 * Membership COPYs sent beside the decoding, at most (a share of the pack's objects each, at
 * least `MIN_MEMBER_RUN`): each sorted run after the first lands inside the key range the
 * earlier ones filled (page splits), so they are few; the members left at the end are at most
 * one share.
 */
const MEMBER_COPIES = 8;
const MIN_MEMBER_RUN = 2000;
/** Stored depths above this are kept as this (any depth past `MAX_STORED_DELTA_DEPTH` is too deep). */
const MAX_DEPTH_VALUE = 255;
/** Values of an id's leading byte, the buckets of the membership sort. */
const LEADING_BYTES = 256;
/**
 * The columns of `raw_objects` the writer fills, with their kinds (also used by the tests), in
 * the order of `RawRow`'s values. `path` (legacy object files) is left to its default, NULL:
 * a value fewer per row for every database to take (MariaDB's server spends ~40 % of an object
 * batch's CPU on the statement's parameters, not in InnoDB).
 */
export const RAW_OBJECT_COLUMNS: BulkColumns<'raw_objects'> = {
  git_id: 'text',
  object_type: 'text',
  storage_type: 'text',
  size: 'bigint',
  delta_base: 'text',
  delta_depth: 'integer',
  payload_size: 'bigint',
  data: 'blob',
};
const MEMBER_COLUMNS: BulkColumns<'repository_objects'> = { repo_id: 'bigint', git_id: 'text' };
const COMMIT_COLUMNS: BulkColumns<'commit'> = {
  git_id: 'text',
  tree: 'text',
  pid: 'text',
  author: 'text',
  committer: 'text',
  content: 'text',
  author_time: 'bigint',
  commit_time: 'bigint',
  created_at: 'text',
  updated_at: 'text',
};

/** A `raw_objects` row as the values of `RAW_OBJECT_COLUMNS`, in order. */
type RawRow = ObjectRow;
/** A `commit` row as the values of `COMMIT_COLUMNS`, in order. */
type CommitRow = [
  git_id: ObjectId,
  tree: string,
  pid: string,
  author: string,
  committer: string,
  content: string,
  author_time: number,
  commit_time: number,
  created_at: string,
  updated_at: string,
];
const RAW_SIZE = 3;
const RAW_DATA = 7;

/**
 * The hex ids of an object's row: read only where the rows carry them as strings (a decode
 * thread's cursor makes them when asked; rows for PostgreSQL's COPY never ask, `ObjectCopyRows`).
 */
interface RowIds {
  readonly id: ObjectId;
  readonly deltaBase?: ObjectId;
}

/** A blob stored whole in its pack, handed over without its content (`addWholeBlob`). */
export interface WholeBlob {
  readonly id: ObjectId;
  readonly size: number;
  /** Its zlib stream as received. */
  readonly raw: Buffer;
}

/** An object to store: its inflated content and, when it came from a pack, the pack-ready bytes. */
export interface IncomingObject {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Inflated content (no `type size\0` header). */
  readonly data: Buffer;
  /** The zlib stream as received: of the content, or of the delta against `deltaBase`. */
  readonly raw?: Buffer;
  readonly deltaBase?: ObjectId;
  /** Inflated size of the delta (the pack entry's declared size), when `deltaBase` is set. */
  readonly deltaSize?: number;
}

export interface WriterOptions {
  readonly repoId: number;
  readonly format: ObjectFormat;
  /** Objects this big or bigger go to chunk rows (never deltas, never one row). */
  readonly largeObjectThreshold: number;
  /** The database's prepared-statement fast path, when it has one (see `MegaDatabase`). */
  readonly runPreparedBatch?: PreparedBatchRunner;
  /**
   * Keep the row key each inserted object row gets, for `writtenRowKeys`. Only the prepared path
   * tells them (SQLite); elsewhere nothing is kept.
   */
  readonly keepRowKeys?: boolean;
  /**
   * The index fsck and the graph number the pack's ids in (`IngestWrites`): the writer numbers
   * its ids there too instead of in an index of its own, one copy of every id fewer (~36 bytes
   * an object). It may hold ids that are no objects of this write (tree entries pointing
   * elsewhere); `finish` leaves those out of its `ids`.
   */
  readonly ids?: DenseIdIndex;
  /**
   * About how many objects the write brings (a pack's declared count), when known: the COPYs
   * that carry their rows are sized by it (`BulkInserter`'s `expectedRows`).
   */
  readonly expectedObjects?: number;
}

/** Where a write stored the objects whose rows it inserted itself. */
export interface WrittenRowKeys {
  /**
   * The `raw_objects.id` the write gave the object whose raw id is at `data[offset…]`; 0 when it
   * inserted no row of it (stored before, as chunks by a racing write, or not one of its objects).
   */
  rowKeyOf(data: Uint8Array, offset: number): number;
  /** The size class (`size-class.ts`) of the row `rowKeyOf` tells (0 with no row). */
  sizeClassOf(data: Uint8Array, offset: number): number;
}

export interface WriteSummary {
  /** Every object written (stored, or already stored and linked). */
  readonly ids: ObjectIdSet;
  readonly counts: Readonly<Record<ObjectType, number>>;
  /** Objects kept as deltas, and as chunks (large objects). */
  readonly deltas: number;
  readonly chunked: number;
}

/**
 * Buffers objects and writes them with multi-row inserts inside the caller's transaction:
 * `raw_objects` (pack-ready bytes, or for large objects `object_chunks`) and `commit` (parsed for graph walks) in
 * batches as objects arrive, `repository_objects` (membership) in `finish`. Content-addressed rows
 * that already exist are skipped.
 */
export class ObjectWriter {
  private rawRows: RawRow[] = [];
  /**
   * Where object rows may go by COPY (PostgreSQL, in a transaction): they are buffered here by
   * their ids' numbers instead of in `rawRows`, and encoded straight from the raw ids.
   */
  private readonly copyRows: ObjectCopyRows | undefined;
  /** With row keys kept: the known number of each of `rawRows`, in the same order. */
  private rawNumbers: number[] | undefined;
  /** With row keys kept: per known number, its row's key (0 = none inserted by this write). */
  private rowKeys: Float64Array | undefined;
  /** With row keys kept: per known number, its inserted row's size class (clone walks record it). */
  private sizeClasses: Uint8Array | undefined;
  private commitRows: CommitRow[] = [];
  private bufferedBytes = 0;
  /**
   * Every id the write knows, numbered: its objects (the repository's new members) and the
   * thin-pack bases it was told about. Raw ids, not a hex string per object in lists and maps.
   */
  private readonly known: ObjectIdSet;
  /** Per known number: `OBJECT` / `MEMBER` / `CHUNKED` bits. */
  private flags = new Uint8Array(INITIAL_KNOWN);
  /** Per known number: stored delta depth (0 = whole object, capped at 255). */
  private depths = new Uint8Array(INITIAL_KNOWN);
  /** Whether some known id is not an object of this write (a thin-pack base): see `finish`. */
  private knowsOthers = false;
  private readonly counts: Record<ObjectType, number> = { commit: 0, tree: 0, blob: 0, tag: 0 };
  private deltas = 0;
  private chunked = 0;
  /** Streamed blobs whose rows `finish` writes (see `addLargeBlob`). */
  private deferredBlobs: { id: ObjectId; raw: AsyncIterable<Buffer> }[] = [];
  private readonly chunks: ObjectChunks;
  private readonly now = nowTimestamp();
  private readonly rawInserter: BulkInserter<'raw_objects'>;
  private readonly commitInserter: BulkInserter<'commit'>;
  private readonly memberInserter: BulkInserter<'repository_objects'>;
  /** The flush whose statements are on the wire while decoding continues (at most one). */
  private inFlight: Promise<void> = Promise.resolve();
  /** Whether `inFlight` is a run of `sendHeld` (see `holdForCopies`). */
  private sendingHeld = false;
  /** Set by `abandon`: no further statement is started. */
  private abandoned = false;
  /** Rows buffered so far, over the whole write (`rowsAdded`). */
  private rowsTaken = 0;
  /** The first `rowsDone` rows are stored and nothing of the writer holds them any more. */
  private rowsDone = 0;
  private failure: unknown;
  /**
   * Where membership goes by COPY beside the decoding (`holdsMembers`): the numbers of members
   * added since the last flush, then their sorted runs waiting for a COPY.
   */
  private newMembers: number[] = [];
  private memberRuns: Int32Array[] = [];
  private memberRunRows = 0;
  /** Members a COPY beside the decoding waits for (0: membership waits for `finish`). */
  private readonly memberCopyRows: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly options: WriterOptions,
  ) {
    this.known = new ObjectIdSet(options.format, options.ids);
    this.copyRows = capabilities.rowCopy && db.isTransaction ? new ObjectCopyRows(this.known) : undefined;
    this.chunks = new ObjectChunks(db, capabilities);
    this.rawInserter = new BulkInserter(
      capabilities,
      'raw_objects',
      RAW_OBJECT_COLUMNS,
      (row) => (row[RAW_DATA] as Buffer | null)?.length ?? 0,
      undefined,
      options.expectedObjects,
    );
    this.commitInserter = new BulkInserter(
      capabilities,
      'commit',
      COMMIT_COLUMNS,
      // The message is most of a commit row.
      (row) => (row[5] as string).length,
      undefined,
      // Commits are some of the objects: their COPYs are no bigger than the objects'.
      options.expectedObjects,
    );
    this.memberInserter = new BulkInserter(capabilities, 'repository_objects', MEMBER_COLUMNS);
    const expected = options.expectedObjects;
    this.memberCopyRows =
      capabilities.rowCopy && db.isTransaction && expected !== undefined
        ? Math.max(MIN_MEMBER_RUN, Math.ceil(expected / MEMBER_COPIES))
        : 0;
    if (options.keepRowKeys && options.runPreparedBatch) {
      this.rawNumbers = [];
      this.rowKeys = new Float64Array(INITIAL_KNOWN);
      this.sizeClasses = new Uint8Array(INITIAL_KNOWN);
    }
  }

  /**
   * The row keys this write's inserts gave its objects, once `finish` is done: undefined unless
   * kept (`keepRowKeys` on a database whose inserts tell them). Holds the write's id set.
   */
  writtenRowKeys(): WrittenRowKeys | undefined {
    const keys = this.rowKeys;
    const classes = this.sizeClasses;
    if (!keys || !classes) return undefined;
    const known = this.known;
    return {
      rowKeyOf: (data, offset) => {
        // A shared index also holds ids this write numbered no row for (past the columns).
        const number = known.numberOfRaw(data, offset);
        return number >= 0 && number < keys.length ? (keys[number] as number) : 0;
      },
      sizeClassOf: (data, offset) => {
        const number = known.numberOfRaw(data, offset);
        return number >= 0 && number < classes.length ? (classes[number] as number) : 0;
      },
    };
  }

  /** Records how an object outside this write (a thin-pack base) is stored. */
  noteExistingBase(id: ObjectId, depth: number, chunked: boolean): void {
    const number = this.numberOf(id);
    if ((this.flags[number]! & OBJECT) === 0) this.knowsOthers = true;
    this.depths[number] = Math.min(depth, MAX_DEPTH_VALUE);
    if (chunked) this.flags[number]! |= CHUNKED;
  }

  /** How many rows were buffered so far (each object's row, once); see `rowsReleased`. */
  get rowsAdded(): number {
    return this.rowsTaken;
  }

  /**
   * The first this many of `rowsAdded` are stored and the writer holds no view of their bytes
   * (a decode thread's batch may then be reused: `ingest-on-decode-thread.ts`). Only SQLite's
   * prepared batches say so: they bind the rows as the flush runs. Elsewhere rows may be held
   * for a later COPY, so this stays 0.
   */
  get rowsReleased(): number {
    return this.rowsDone;
  }

  /** Hashes, deflates and adds an object made by the server (directory views, merges). */
  async addContent(type: ObjectType, data: Buffer): Promise<ObjectId> {
    const id = hashObject(type, data, this.options.format);
    await this.add({ id, type, data });
    return id;
  }

  /**
   * Buffers the object's row; returns a promise only when it starts a flush (or stores a large
   * object), so an ingest pays no microtask per object. `rawIds`, when given, holds the raw id at
   * `rawAt` and the delta base's right after it (a decode thread's batch: no hex parsed back).
   * `numbered`, when given, is the object's number in the index shared with fsck (`ids`), which
   * numbered it just before: the id is not hashed and probed for again.
   */
  add(object: IncomingObject, rawIds?: Uint8Array, rawAt = 0, numbered?: number): void | Promise<void> {
    // The hex ids (`id`, `deltaBase`) are read only where a row or a commit needs them (`RowIds`).
    const { type, data, raw, deltaSize } = object;
    const size = data.length;
    if (size >= this.options.largeObjectThreshold) return this.addLarge(object);
    // With raw ids (a decode thread's batch) an object has a delta base when it has a delta size.
    const hasBase = rawIds ? deltaSize !== undefined : object.deltaBase !== undefined;
    const base =
      raw && hasBase && deltaSize !== undefined
        ? rawIds
          ? this.numberOfRaw(rawIds, rawAt + this.options.format.rawLength)
          : this.numberOf(object.deltaBase!)
        : -1;
    // A base from outside this write is known from now on, but is not one of its objects.
    if (base >= 0 && (this.flags[base]! & OBJECT) === 0) this.knowsOthers = true;
    const number = this.numberFor(object, rawIds, rawAt, numbered);
    if (type === 'commit') this.commitRows.push(this.commitRow(object.id, data));
    if (base >= 0 && this.canDeltaOn(base)) {
      const depth = this.depths[base]! + 1;
      this.depths[number] = depth;
      this.deltas++;
      return this.addRow(object, number, type, size, base, depth, deltaSize!, raw!);
    }
    const whole = raw && !hasBase ? raw : zlib.deflateSync(data);
    return this.addRow(object, number, type, size, -1, 0, size, whole);
  }

  /**
   * `add` for a blob stored whole in its pack, without its content (a decode thread's batch):
   * `raw` is its zlib stream as received, stored as it is. `rawIds[rawAt…]` holds its raw id.
   */
  addWholeBlob(blob: WholeBlob, rawIds?: Uint8Array, rawAt = 0, numbered?: number): void | Promise<void> {
    const { size, raw } = blob;
    if (size >= this.options.largeObjectThreshold) return this.addChunked(blob.id, 'blob', size, raw);
    const number = this.numberFor(blob, rawIds, rawAt, numbered);
    return this.addRow(blob, number, 'blob', size, -1, 0, size, raw);
  }

  /**
   * Buffers the row of the object numbered `number`, stored in the database as `data`: as a
   * delta on the object numbered `base` at `depth`, or whole (`base` -1). A promise only when it
   * starts a flush.
   */
  private addRow(
    ids: RowIds,
    number: number,
    type: ObjectType,
    size: number,
    base: number,
    depth: number,
    payloadSize: number,
    data: Buffer,
  ): void | Promise<void> {
    if (this.copyRows) this.copyRows.push(number, type, size, base, depth, payloadSize, data);
    else
      this.rawRows.push([
        ids.id,
        type,
        'database',
        size,
        base >= 0 ? ids.deltaBase! : null,
        depth,
        payloadSize,
        data,
      ]);
    this.rowsTaken++;
    this.rawNumbers?.push(number);
    this.bufferedBytes += data.length;
    if (this.memberCopyRows > 0 && (this.flags[number]! & MEMBER) === 0) this.newMembers.push(number);
    this.flags[number]! |= OBJECT | MEMBER;
    this.counts[type]++;
    if (this.bufferedRows >= ROWS_PER_FLUSH || this.bufferedBytes >= BYTES_PER_FLUSH)
      return this.startFlush();
  }

  /** Object rows buffered for the next flush. */
  private get bufferedRows(): number {
    return this.copyRows ? this.copyRows.length : this.rawRows.length;
  }

  private async addLarge(object: IncomingObject): Promise<void> {
    const { id, type, data } = object;
    const whole = object.raw && !object.deltaBase ? object.raw : await deflate(data);
    await this.addChunked(id, type, data.length, whole);
    if (type === 'commit') this.commitRows.push(this.commitRow(id, data));
  }

  /**
   * Adds a big blob from its pack-ready zlib stream, read piece by piece straight into chunk rows
   * (never whole in memory). Callers pass only blobs of at least `largeObjectThreshold` bytes,
   * which are always stored as chunks. The stream must stay readable until `finish` (a pack
   * spool does): the rows are written there, so an ingest takes SQLite's write lock only for its
   * final writes, as before large objects lived in the database.
   */
  addLargeBlob(id: ObjectId, size: number, raw: AsyncIterable<Buffer>): void {
    this.noteChunked(id, 'blob', size);
    this.deferredBlobs.push({ id, raw });
  }

  /** Stores a large object made whole in memory (server-made, or resolved from a delta). */
  private async addChunked(id: ObjectId, type: ObjectType, size: number, whole: Buffer): Promise<void> {
    // Statements run in order on the transaction's connection; surface a failed batch first.
    await this.settle();
    await this.chunks.writeOnce(id, [whole]);
    this.noteChunked(id, type, size);
  }

  /** Books a chunked object: its `raw_objects` row goes with the next batch, like any other. */
  private noteChunked(id: ObjectId, type: ObjectType, size: number): void {
    const number = this.numberOf(id);
    if (this.copyRows) this.copyRows.push(number, type, size, -1, 0, size, null);
    else this.rawRows.push([id, type, 'chunks', size, null, 0, size, null]);
    this.rowsTaken++;
    this.rawNumbers?.push(number);
    this.flags[number]! |= OBJECT | MEMBER | CHUNKED;
    this.chunked++;
    this.counts[type]++;
  }

  /** Writes the blobs `addLargeBlob` deferred, in id order (the lock order of every batch). */
  private async writeDeferredBlobs(): Promise<void> {
    const blobs = this.deferredBlobs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.deferredBlobs = [];
    for (const blob of blobs) await this.chunks.writeOnce(blob.id, blob.raw);
  }

  /** Adds membership for objects already stored (e.g. the thin-pack bases a push relied on). */
  addMembership(ids: readonly ObjectId[]): void {
    for (const id of ids) {
      const number = this.numberOf(id);
      if ((this.flags[number]! & OBJECT) === 0) this.knowsOthers = true;
      this.flags[number]! |= MEMBER;
    }
  }

  /**
   * Writes what is buffered and checks the repository still exists: membership has no foreign
   * key (migration 0005), and the caller's transaction must not commit rows for a repository
   * deleted meanwhile (SQLite could give a later repository the same id).
   */
  async finish(): Promise<WriteSummary> {
    if (this.capabilities.singleConnection) {
      // SQLite takes its write lock at the first write and keeps it to the commit. Starting the
      // writes on a fresh turn of the event loop lets work already queued (another connection's
      // reads, a second process simulated in one) run first instead of meeting a held lock.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.startFlush();
    await this.settle();
    // Rows the inserters hold for their next COPY (see `BulkInserter.add`).
    await this.rawInserter.flush(this.db);
    await this.commitInserter.flush(this.db);
    await this.writeDeferredBlobs();
    await this.writeMembership();
    const repository = await this.db
      .selectFrom('repositories')
      .select('id')
      .where('id', '=', this.options.repoId)
      .executeTakeFirst();
    if (!repository)
      throw notFound('repository_not_found', 'repository not found', { repoId: this.options.repoId });
    return { ids: this.objectIds(), counts: { ...this.counts }, deltas: this.deltas, chunked: this.chunked };
  }

  /**
   * The objects of this write: all known ids, unless thin-pack bases are among them, or ids that
   * others numbered in a shared index.
   */
  private objectIds(): ObjectIdSet {
    if (!this.knowsOthers && (!this.options.ids || this.objectCount() === this.known.size)) return this.known;
    const objects = new ObjectIdSet(this.options.format);
    for (let number = 0; number < this.numbered; number++)
      if (this.flags[number]! & OBJECT) objects.add(this.known.idAt(number));
    return objects;
  }

  /** The id's number among the known ids (added when new), with room in the per-id columns. */
  private numberOf(id: ObjectId): number {
    return this.roomFor(this.known.add(id));
  }

  /**
   * The number of an object being added: fsck's (`numbered`, in the index they share), else by
   * its raw id at `rawIds[rawAt…]`, else by its hex id (read only then: it may be made lazily).
   */
  private numberFor(ids: RowIds, rawIds: Uint8Array | undefined, rawAt: number, numbered?: number): number {
    if (numbered !== undefined) return this.roomFor(numbered);
    return rawIds ? this.numberOfRaw(rawIds, rawAt) : this.numberOf(ids.id);
  }

  /** `numberOf` for the raw id at `data[offset…]`. */
  private numberOfRaw(data: Uint8Array, offset: number): number {
    return this.roomFor(this.known.addRaw(data, offset));
  }

  /** Known ids the per-id columns cover (a shared index may hold more, none of them this write's). */
  private get numbered(): number {
    return Math.min(this.known.size, this.flags.length);
  }

  /** Known ids that are objects of this write. */
  private objectCount(): number {
    let count = 0;
    for (let number = 0; number < this.numbered; number++) if (this.flags[number]! & OBJECT) count++;
    return count;
  }

  private roomFor(number: number): number {
    // A shared index may have numbered many ids since this writer's last one.
    while (number >= this.flags.length) {
      this.flags = grown(this.flags, new Uint8Array(this.flags.length * 2));
      this.depths = grown(this.depths, new Uint8Array(this.depths.length * 2));
      if (this.rowKeys) this.rowKeys = grown(this.rowKeys, new Float64Array(this.rowKeys.length * 2));
      if (this.sizeClasses)
        this.sizeClasses = grown(this.sizeClasses, new Uint8Array(this.sizeClasses.length * 2));
    }
    return number;
  }

  private canDeltaOn(base: number): boolean {
    return (this.flags[base]! & CHUNKED) === 0 && this.depths[base]! < MAX_STORED_DELTA_DEPTH;
  }

  private commitRow(id: ObjectId, data: Buffer): CommitRow {
    const commit = parseCommit(data);
    return [
      id,
      commit.tree,
      JSON.stringify(commit.parents),
      textColumn(commit.author),
      textColumn(commit.committer),
      textColumn(commit.message),
      identTime(commit.author),
      identTime(commit.committer),
      this.now,
      this.now,
    ];
  }

  /** Sends the buffered rows, or holds them for COPYs sent beside the caller (`holdForCopies`). */
  private startFlush(): Promise<void> | void {
    if (this.holdsForCopies()) return this.holdForCopies();
    return this.startFlushInTurn();
  }

  /**
   * Sends the buffered rows without waiting for the database, so a server database inserts one
   * batch while the next is decoded. Waits for the previous batch first (one in flight), and
   * surfaces its error. The connection runs statements in order, so a rollback after a failure
   * comes after the batch on the wire.
   */
  private async startFlushInTurn(): Promise<void> {
    await this.settle();
    const writing = this.flush();
    this.inFlight = writing.catch((error: unknown) => {
      this.failure = error;
    });
  }

  /**
   * Whether flushes hold their rows encoded for COPYs sent in the background (`holdForCopies`):
   * object rows go by COPY in a transaction (PostgreSQL), and none has met a stored key.
   */
  private holdsForCopies(): boolean {
    return (
      this.copyRows !== undefined &&
      this.rawInserter.willCopy(this.db) &&
      !(this.options.runPreparedBatch && this.db.isTransaction)
    );
  }

  /**
   * A flush where rows go by COPY: the buffered rows are encoded and held by the inserters at
   * once, and the COPYs they fill are sent one after another (`sendHeld`) while the caller goes on
   * (decoding, checking, encoding the next batches). Waiting for each COPY instead left a core
   * idle: the server consumed a COPY while this thread waited, and this thread encoded while the
   * server waited, and the last, biggest COPY ran after the decoding was over (docs/scale.md,
   * "PostgreSQL's COPYs beside the decoding"). The caller waits only when the held rows fill two
   * COPYs (the server is behind), which bounds what is held.
   */
  private holdForCopies(): Promise<void> | void {
    if (this.failure !== undefined) throw this.failure;
    const copyRows = this.copyRows!;
    const rows = copyRows.length;
    const { rows: commits } = rowsById(this.commitRows);
    this.commitRows = [];
    this.bufferedBytes = 0;
    this.rawInserter.holdTuples(copyRows.takeTuples(), rows);
    this.commitInserter.hold(commits);
    this.holdMembers();
    if (!this.sendingHeld) {
      this.sendingHeld = true;
      this.inFlight = this.sendHeld().catch((error: unknown) => {
        this.failure = error;
      });
    } else if (this.rawInserter.holdsTwoCopies || this.commitInserter.holdsTwoCopies) {
      return this.settle();
    }
    // One turn of the event loop: the connection's replies are read and its next statement sent
    // (each COPY is a savepoint, the COPY and a release, and its data goes as the socket drains),
    // where a decode thread's batch of several thousand objects would otherwise be checked and
    // held whole before the server heard from us again.
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Takes the members added since the last flush into a sorted run for a membership COPY beside
   * the decoding, so the end of the ingest has only the last share of them to write.
   */
  private holdMembers(): void {
    if (this.newMembers.length === 0) return;
    const run = Int32Array.from(this.newMembers);
    this.newMembers = [];
    for (const number of run) this.flags[number]! |= MEMBER_HELD;
    this.memberRuns.push(run);
    this.memberRunRows += run.length;
  }

  /** The held member runs, no longer held, as one array (unsorted). */
  private takeMemberRuns(): Int32Array {
    const members = new Int32Array(this.memberRunRows);
    let at = 0;
    for (const run of this.memberRuns) {
      members.set(run, at);
      at += run.length;
    }
    this.memberRuns = [];
    this.memberRunRows = 0;
    return members;
  }

  /**
   * One membership COPY of `members` (sorted here, in id order): one sorted run in the
   * repository's key range. A stored key (a racing push's) falls back to inserts that skip it,
   * as for every COPY (`BulkInserter.insertTuples`).
   */
  private async copyMemberRuns(members: Int32Array): Promise<void> {
    sortById(members, this.known);
    const { repoId } = this.options;
    await this.memberInserter.insertTuples(this.db, members.length, () =>
      membershipCopyTuples(repoId, members, this.known),
    );
  }

  /** Sends the COPYs the held rows fill, in turn, until they fill none. */
  private async sendHeld(): Promise<void> {
    try {
      for (;;) {
        if (this.abandoned) return;
        if (this.rawInserter.copyReady) await this.rawInserter.copyHeld(this.db);
        else if (this.commitInserter.copyReady) await this.commitInserter.copyHeld(this.db);
        else if (this.memberRunRows >= this.memberCopyRows && this.memberCopyRows > 0)
          await this.copyMemberRuns(this.takeMemberRuns());
        else return;
      }
    } finally {
      this.sendingHeld = false;
    }
  }

  /**
   * Membership goes in last, all of it in key order: a new repository's keys then append to the
   * end of the primary key's B-tree instead of splitting pages all over it (bench pack: ~10 % less
   * PostgreSQL server CPU for the ingest, 0.9 MB smaller there, 3 MB on MySQL). The ids are kept
   * raw, sorted as numbers (`sortById`), and sent a statement's worth at a time: never a string per
   * member at once. On SQLite that statement's JSON is written from the raw ids: the bench pack's
   * membership took the request's thread ~10 ms of CPU less than with a hex string per member,
   * sorted as strings (docs/scale.md, "SQLite's ingest tail"). Where membership goes by COPY and
   * the pack's object count is known, most of it went beside the decoding already, in a few sorted
   * runs (`holdMembers`), and only the last share is left here: a shorter tail for a little more
   * index (docs/scale.md, "PostgreSQL's membership beside the decoding").
   */
  private async writeMembership(): Promise<void> {
    if (this.capabilities.rowCopy && this.db.isTransaction) {
      await this.copyMembership();
      return;
    }
    if (this.capabilities.bulkRowInserts?.()) {
      await this.bulkMembership();
      return;
    }
    const members = this.sortedMembers();
    for (let start = 0; start < members.length; start += MEMBERS_PER_STATEMENT)
      await this.insertMembers(this.memberList(members.subarray(start, start + MEMBERS_PER_STATEMENT)));
  }

  /**
   * The ids numbered `members` as `idList`'s subquery; on SQLite its JSON text written straight from
   * the raw ids, without a hex string per member or `JSON.stringify`.
   */
  private memberList(members: Int32Array): RawBuilder<{ id: string }> {
    const { jsonIdList, idList } = this.capabilities;
    if (jsonIdList) return jsonIdList(membershipJson(members, this.known));
    return idList(Array.from(members, (number) => this.known.idAt(number)));
  }

  /**
   * Membership by COPY (see `BulkInserter`), its tuples written straight from the raw ids in id
   * order: no hex string or row array per member. This runs in the ingest's tail, where nothing
   * but the server runs beside it; for the bench pack 12–19 ms of CPU instead of 44–55
   * (docs/scale.md, "PostgreSQL's membership tuples straight from the raw ids").
   */
  private async copyMembership(): Promise<void> {
    const members = this.sortedMembers();
    if (this.memberRunRows === 0) {
      const { repoId } = this.options;
      await this.memberInserter.insertTuples(this.db, members.length, () =>
        membershipCopyTuples(repoId, members, this.known),
      );
      return;
    }
    // Runs held but not sent yet go with the members never held (thin-pack bases, the last
    // batch's), one COPY in id order.
    this.memberRuns.push(members);
    this.memberRunRows += members.length;
    await this.copyMemberRuns(this.takeMemberRuns());
  }

  /**
   * Membership as bulk executes (MariaDB) whose rows are written straight from the raw ids, in id
   * order, `MEMBERS_PER_BULK` a statement: no hex string, row array or per-value pass per member.
   * In the ingest's tail this was 45–65 ms of the request's thread for the bench pack, now ~10
   * (docs/scale.md, "MariaDB's membership rows straight from the raw ids").
   */
  private async bulkMembership(): Promise<void> {
    const members = this.sortedMembers();
    const { repoId } = this.options;
    for (let start = 0; start < members.length; start += MEMBERS_PER_BULK) {
      const rows = members.subarray(start, start + MEMBERS_PER_BULK);
      await this.memberInserter.insertEncoded(this.db, membershipBulkRows(repoId, rows, this.known));
    }
  }

  /** The numbers of the members, in id order. */
  private sortedMembers(): Int32Array {
    const members = new Int32Array(this.memberCount());
    let at = 0;
    for (const bucket of this.membersByLeadingByte()) {
      sortById(bucket, this.known);
      members.set(bucket, at);
      at += bucket.length;
    }
    return members;
  }

  private memberCount(): number {
    let count = 0;
    for (let number = 0; number < this.numbered; number++) if (this.isUnheldMember(number)) count++;
    return count;
  }

  /** The numbers of the members, grouped by their id's leading byte (a counting sort), in order. */
  private *membersByLeadingByte(): Generator<Int32Array> {
    const starts = new Int32Array(LEADING_BYTES + 1);
    const all = new Int32Array(this.numbered);
    let count = 0;
    for (let number = 0; number < this.numbered; number++) {
      if (!this.isUnheldMember(number)) continue;
      all[count++] = number;
      starts[this.known.leadingByte(number) + 1]!++;
    }
    const members = all.subarray(0, count);
    for (let byte = 0; byte < LEADING_BYTES; byte++) starts[byte + 1]! += starts[byte]!;
    const ordered = new Int32Array(members.length);
    const fill = starts.slice(0, LEADING_BYTES);
    for (const number of members) ordered[fill[this.known.leadingByte(number)]!++] = number;
    for (let byte = 0; byte < LEADING_BYTES; byte++) yield ordered.subarray(starts[byte]!, starts[byte + 1]!);
  }

  /** A member not taken into a run for a COPY beside the decoding (`holdMembers`). */
  private isUnheldMember(number: number): boolean {
    return (this.flags[number]! & (MEMBER | MEMBER_HELD)) === MEMBER;
  }

  private async insertMembers(list: RawBuilder<{ id: string }>): Promise<void> {
    const { repoId } = this.options;
    const query = this.db
      .insertInto('repository_objects')
      .columns(['repo_id', 'git_id'])
      .expression(
        this.db
          .selectFrom(list.as('listed'))
          .select([sql.lit(Number(repoId)).as('repo_id'), 'listed.id'])
          // SQLite reads `ON CONFLICT` after a bare `FROM` as a join constraint.
          .where(sql<boolean>`true`),
      );
    await insertIgnore(query, this.capabilities).execute();
  }

  /**
   * Waits until none of the writer's statements is on the wire, and surfaces a failed one: a read
   * in the same transaction must not be queued behind a COPY, which may fail and leave the
   * transaction aborted until the writer rolls back to its savepoint.
   */
  async idle(): Promise<void> {
    await this.settle();
  }

  /**
   * For a write that failed elsewhere (the caller rolls its transaction back): starts no further
   * statement and waits for the one on the wire, whatever its outcome. Held COPYs would otherwise
   * go on after the rollback, on a connection already back in the pool.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.inFlight;
  }

  private async settle(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  private async flush(): Promise<void> {
    // Every row buffered so far is in this flush.
    const through = this.rowsTaken;
    // Not holding for COPYs (any more): the members wait for `finish`, as unheld ones.
    this.newMembers = [];
    // Sorted by id so concurrent writers of overlapping objects lock rows in the same order.
    const { rows: raw, numbers } = this.takeRawRowsSorted();
    const { rows: commits } = rowsById(this.commitRows);
    this.commitRows = [];
    this.bufferedBytes = 0;
    const { runPreparedBatch } = this.options;
    // Read `this.rowKeys` when told: it may have grown since the flush began.
    const inserted =
      numbers &&
      ((index: number, rowKey: number) => {
        this.rowKeys![numbers[index]!] = rowKey;
        this.sizeClasses![numbers[index]!] = sizeClassOf(raw[index]![RAW_SIZE]);
      });
    // Where rows go by COPY, one COPY carries several batches (`BulkInserter.add`).
    if (this.capabilities.bulkRowInserts?.()) {
      await this.bulkObjects(raw);
      await this.bulkCommits(commits);
    } else {
      await this.rawInserter.add(this.db, raw, runPreparedBatch, inserted);
      await this.commitInserter.add(this.db, commits, runPreparedBatch);
    }
    if (runPreparedBatch && this.db.isTransaction) this.rowsDone = through;
  }

  /**
   * Object rows as bulk executes (MariaDB) encoded for their columns' known kinds
   * (`objectBulkRows`), in statements of at most `maxStatementBytes` of payload as before.
   */
  private async bulkObjects(rows: readonly RawRow[]): Promise<void> {
    for (const batch of batchRows(rows, this.capabilities, 0, (row) => row[RAW_DATA]?.length ?? 0))
      await this.rawInserter.insertEncoded(this.db, objectBulkRows(batch));
  }

  /**
   * Commit rows as bulk executes (MariaDB) encoded for their columns' kinds (`commitBulkRows`), in
   * the statements the generic path would split them into (the bind limit over ten columns,
   * `maxStatementBytes` of messages), so a connection without bulk executes gets those.
   */
  private async bulkCommits(rows: readonly CommitRow[]): Promise<void> {
    const width = Object.keys(COMMIT_COLUMNS).length;
    for (const batch of batchRows(rows, this.capabilities, width, (row) => row[5].length))
      await this.commitInserter.insertEncoded(this.db, commitBulkRows(batch));
  }

  /**
   * The buffered object rows in id order (`rowsById`: one numeric sort, no comparison function
   * per pair), with their known numbers when row keys are kept.
   */
  private takeRawRowsSorted(): { rows: RawRow[]; numbers?: readonly number[] } {
    const numbers = this.rawNumbers;
    const { rows, positions } = rowsById(this.copyRows ? this.copyRows.takeValues() : this.rawRows);
    this.rawRows = [];
    if (!numbers) return { rows };
    this.rawNumbers = [];
    return { rows, numbers: Array.from(positions, (at) => numbers[at]!) };
  }
}

/** `larger` with `values` copied to its start: a per-id column grown. */

/** Text columns cannot hold NUL on PostgreSQL; the raw object keeps the exact bytes. */
function textColumn(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
}

/** Seconds from an ident line, 0 when it has none (git accepts such commits; so do we). */
function identTime(ident: string): number {
  const match = /> (\d{1,15}) [+-]\d{4}$/.exec(ident) ?? /> (\d{1,15})/.exec(ident);
  return match ? Number(match[1]) : 0;
}
