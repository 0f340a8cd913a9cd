import type { ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import type { ObjectId } from './object-id.js';
import type { PackSpool } from './pack-spool.js';

/** One object of an indexed pack, with what storage needs to keep it in pack-ready form. */
export interface PackedObject {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Inflated size of the object itself (not of its delta). */
  readonly size: number;
  /** Offset of the entry in the pack. */
  readonly offset: number;
  /** CRC32 of the entry's bytes in the pack (header and zlib stream), as in the `.idx`. */
  readonly crc32: number;
  /** Bytes of the entry header (type/size varint plus OFS distance or REF base id). */
  readonly headerLength: number;
  /** Bytes of the zlib stream that follows the header. */
  readonly compressedLength: number;
  /** Set when the entry is a delta: the id of its base (OFS bases resolved to ids). */
  readonly deltaBase?: ObjectId;
  /** Set when the entry is a delta: the inflated size of the delta (pass it to the writer). */
  readonly deltaSize?: number;
  /** 0 for whole objects, else 1 + the base's depth. */
  readonly depth: number;
}

/**
 * An object as `onRawObject` sees it: its id (and a delta's base id) as raw bytes, no hex made.
 * The reader reuses one such object: valid only until the callback returns.
 */
export interface RawPackedObject {
  readonly type: ObjectType;
  readonly size: number;
  /** The delta's inflated size, or -1 for a whole object. */
  readonly deltaSize: number;
  /** The object's raw id is `ids[idAt…]`; a delta's base's is `ids[baseIdAt…]` (-1: none). */
  readonly ids: Buffer;
  readonly idAt: number;
  readonly baseIdAt: number;
}

/** Bytes handed to `onObject`. */
export interface PackedContent {
  /**
   * The inflated object content (no `type size\0` header). Valid only until the callback returns
   * (or its promise settles): copy it to keep it.
   */
  readonly data: Buffer;
  /** The zlib stream exactly as in the pack: the deflated object, or for a delta the deflated delta. */
  readonly raw: Buffer;
}

/**
 * `PackedContent` as `onRawObject` gets it: the zlib stream may be a plain `Uint8Array` view of
 * the received bytes, which costs less than half what a `Buffer` view does to make, once per
 * object (docs/scale.md, "The decode thread's inflating").
 */
export interface RawPackedContent {
  readonly data: Buffer;
  readonly raw: Uint8Array;
}

export interface PackReaderLimits {
  /** Most entries a pack may declare. */
  readonly maxObjects: number;
  /** Largest inflated object or delta. */
  readonly maxObjectSize: number;
  /**
   * Largest commit, tree or tag. These are parsed (fsck, walks, ref peeling) and so held whole in
   * memory, unlike blobs, which stream; a 1 GiB tag message must be refused, not inflated.
   */
  readonly maxNonBlobSize: number;
  /** Longest delta chain. */
  readonly maxDeltaDepth: number;
  /** Largest pack in bytes. */
  readonly maxPackSize: number;
}

export const DEFAULT_PACK_READER_LIMITS: PackReaderLimits = {
  maxObjects: 50_000_000,
  maxObjectSize: 1 << 30,
  maxNonBlobSize: 64 << 20,
  maxDeltaDepth: 10_000,
  maxPackSize: Number.MAX_SAFE_INTEGER,
};

/** A delta base that is not in the pack (thin packs), supplied by the caller's object store. */
export interface ExternalBase {
  readonly type: ObjectType;
  readonly data: Buffer;
}

export interface PackReaderOptions {
  readonly format?: ObjectFormat;
  readonly limits?: Partial<PackReaderLimits>;
  /** Where the pack bytes are kept for re-reading bases; default in memory. */
  readonly spool?: PackSpool;
  /** Budget for inflated delta bases kept in memory (default 96 MiB). */
  readonly baseCacheBytes?: number;
  /** Budget for inflated deltas kept between the scan and resolution (default 64 MiB). */
  readonly deltaCacheBytes?: number;
  /**
   * A ring of this many bytes holding the contents scanned last (default 0: none): an OFS_DELTA
   * whose base is still in it is applied as it is scanned, so it is inflated once and its stream
   * is not read back from the spool. Used only with `threads: 1` (workers resolve whole trees).
   */
  readonly recentContentBytes?: number;
  /** Skip computing each entry's CRC32 (`crc32` is then 0): for callers that write no pack index. */
  readonly skipCrc32?: boolean;
  /** Supplies REF_DELTA bases missing from the pack; without it a thin pack is an error. */
  readonly resolveExternalBase?: (id: ObjectId) => Promise<ExternalBase | undefined>;
  /**
   * Called once per object as soon as its id is known: whole objects as they are scanned, deltas
   * after them (with `recentContentBytes`, most deltas as they are scanned too), every delta after
   * its base.
   */
  readonly onObject?: (object: PackedObject, content: PackedContent) => void | Promise<void>;
  /**
   * Instead of `onObject` (which wins if both are given): the same calls, with ids as raw bytes
   * (`RawPackedObject`), for callers that store ids raw. Objects found in the scan are handed on
   * without any hex id made.
   */
  readonly onRawObject?: (object: RawPackedObject, content: RawPackedContent) => void | Promise<void>;
  /**
   * Blobs (whole, not deltas) of at least this many bytes are hashed while they inflate and never
   * held whole (default 16 MiB). Applies when `onLargeBlob` is given, or when neither `onObject` nor `onRawObject` is.
   */
  readonly largeBlobThreshold?: number;
  /**
   * Receives those big blobs instead of `onObject`: `raw` yields the entry's zlib stream in pieces
   * of at most 1 MiB (each valid until the next is asked for); consume it before returning to
   * keep it (it is not readable later). The inflated content is never materialised.
   */
  readonly onLargeBlob?: (object: PackedObject, raw: AsyncIterable<Buffer>) => void | Promise<void>;
  /**
   * Worker threads for delta resolution (default: the available cores, at most 3); 1 keeps
   * everything on the calling thread. Results still reach `onObject` on the calling thread.
   */
  readonly threads?: number;
  /** Packs with fewer objects never start workers (default 20 000; tests pass 0). */
  readonly minObjectsForThreads?: number;
  /** Use the public-API inflater instead of the fast one (for tests of the fallback). */
  readonly forceInflateFallback?: boolean;
  /**
   * The input may go on after the pack (git over SSH, where the client keeps its side open until
   * it has read the report): the pack ends at its trailer (the header's object count, every
   * entry, the checksum) and nothing more is awaited. Bytes that arrived with the trailer are
   * still refused (`pack_trailing_garbage`). Default: the pack ends with the input.
   */
  readonly stopAtTrailer?: boolean;
}

export interface PackReadResult {
  readonly version: number;
  /** Every object, in pack order. */
  readonly objects: readonly PackedObject[];
  /** The pack's trailing checksum (also the `.idx` trailer's first hash). */
  readonly checksum: Buffer;
  /** Bases that came from `resolveExternalBase` (the pack was thin). */
  readonly externalBases: readonly ObjectId[];
}

/** The size limit for an object of `type`: blobs stream, everything else is held whole. */
export function objectSizeLimit(limits: PackReaderLimits, type: ObjectType): number {
  return type === 'blob' ? limits.maxObjectSize : Math.min(limits.maxObjectSize, limits.maxNonBlobSize);
}
