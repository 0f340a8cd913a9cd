import type { Kysely } from 'kysely';
import type { FsckPolicy } from '../git/fsck-report.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectIdSet } from '../git/object-id-set.js';
import type { ObjectGraph } from '../git/object-graph.js';
import type { PackReaderLimits } from '../git/pack-types.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import type { WrittenRowKeys } from './object-writer.js';
import type { PreparedBatchRunner } from './open-database.js';

// The ingest's options, result and dependencies, apart from ingest.ts so that both ways of
// ingesting (one thread, `ingest-on-decode-thread.ts`) share them without an import cycle.

export interface IngestOptions {
  readonly format?: ObjectFormat;
  readonly limits?: Partial<PackReaderLimits>;
  /** Pack bytes kept in memory before spilling to a temp file. */
  readonly spoolMemoryBytes?: number;
  /**
   * Also collect `externalReferences` (a push's connectivity check needs them; a plain import
   * does not, and scanning every tree and commit again costs ~200 ms per 35k of them).
   */
  readonly collectReferences?: boolean;
  /**
   * Check every object with git's fsck rules (receive.fsckObjects) before anything is kept;
   * default true. A refused pack throws `invalid`/`fsck_failed` and stores nothing.
   */
  readonly fsck?: boolean;
  /**
   * The source goes on after the pack (git over SSH: the client waits for the report before it
   * closes its side): the pack ends at its own trailer. Default: it ends with the source.
   */
  readonly stopAtTrailer?: boolean;
  /**
   * Also keep the pack's object graph (`ObjectGraph`, a few tens of MB for 500k objects), for
   * walks computed without reading the objects back: the clone walks of a first push.
   */
  readonly collectGraph?: boolean;
}

/** What an ingest stored: enough for receive-pack to check connectivity before moving refs. */
export interface IngestResult {
  /** Every object of the pack (raw ids; listed in the order they were first stored). */
  readonly ids: ObjectIdSet;
  readonly counts: Readonly<Record<ObjectType, number>>;
  /** Objects kept as stored deltas, and stored as chunks (large objects). */
  readonly deltas: number;
  readonly chunked: number;
  /** Thin-pack bases taken from the repository's own objects. */
  readonly externalBases: readonly ObjectId[];
  /**
   * With `collectReferences`: ids the pack's objects point to that are not in the pack; for a
   * connected push, the repository must already hold each of them.
   */
  readonly externalReferences?: readonly ObjectId[];
  /** The pack's trailer checksum (hex). */
  readonly packChecksum: string;
  /** With `collectGraph`: the pack's object graph, unless it passed its memory budget. */
  readonly graph?: ObjectGraph;
  /**
   * With `graph`, where the database's inserts tell their row keys (SQLite): the `raw_objects.id`
   * of each object whose row this push inserted, so the clone walks of a first push need no
   * statement to find them (`CloneWalkStore.graphRowKeys`).
   */
  readonly writtenRowKeys?: WrittenRowKeys;
}

export interface IngestDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: DialectCapabilities;
  readonly dataDir: string;
  readonly largeObjectThreshold: number;
  readonly runPreparedBatch?: PreparedBatchRunner;
  /**
   * Threads resolving deltas (1 = on the calling thread). Each worker thread costs ~50 MB and a
   * push of 50k objects gains little from it on a busy server, so the server default is 1.
   */
  readonly threads?: number;
  /** Which fsck findings refuse a pack (default: `--strict`, nothing ignored). */
  readonly fsck?: FsckPolicy;
  /**
   * Packs of at least this many objects are decoded on a thread of their own while the calling
   * thread checks and writes them (`ingest-on-decode-thread.ts`); unset: every pack on the
   * calling thread. A server database then reads the pack's header before deciding, so a
   * smaller pack still streams.
   */
  readonly decodeThreadMinObjects?: number;
}
