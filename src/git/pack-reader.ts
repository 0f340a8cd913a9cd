import { availableParallelism } from 'node:os';
import { BaseCache } from './base-cache.js';
import { applyDeltaWithin, deltaSizes } from './delta.js';
import { DeltaResolver } from './delta-resolver.js';
import {
  hashFramedObjectInto,
  hashObject,
  hashObjectRawInto,
  objectHeaderLength,
  writeObjectHeader,
  type ObjectType,
} from './object.js';
import { objectIdFromRaw } from './object-id.js';
import { SHA1, type ObjectFormat } from './object-format.js';
import { objectTypeOfCode } from './pack-format.js';
import { PackEntries } from './pack-entries.js';
import { PackScanner } from './pack-scanner.js';
import { RecentContents, RecentIds, type RawIdColumn } from './recent-contents.js';
import { MemoryPackSpool, type PackSpool } from './pack-spool.js';
import { resolveInParallel } from './parallel-resolver.js';
import { sharedResolveWorkerPool, type ResolveWorkerPool } from './resolve-worker-pool.js';
import {
  DEFAULT_PACK_READER_LIMITS,
  objectSizeLimit,
  type PackedObject,
  type PackReaderLimits,
  type PackReaderOptions,
  type PackReadResult,
  type RawPackedObject,
} from './pack-types.js';

const DEFAULT_BASE_CACHE = 96 << 20;
const DEFAULT_DELTA_CACHE = 64 << 20;
const DEFAULT_LARGE_BLOB = 16 << 20;
/**
 * The first lap over the ring of recent contents (`RecentContents`); laps grow to the whole ring
 * once a base was missed. The bases of a pack that has them close stay within 8 MiB (the storage
 * bench's pack: every delta applied in the scan), and then only that much of the ring is touched.
 */
const RECENT_FIRST_LAP = 8 << 20;
/**
 * Deltas of up to this size are inflated into the room after the ring and applied there by its
 * WebAssembly loop (`RecentContents.applyDelta`); bigger ones are applied in JavaScript.
 */
const RECENT_DELTA_ROOM = 1 << 20;
/** Piece size of a streamed blob's raw bytes. */
const RAW_PIECE = 1 << 20;
/** Default worker threads at most (git index-pack caps its default similarly). */
const MAX_DEFAULT_THREADS = 3;
/**
 * Packs with fewer objects are resolved on the main thread: starting workers (~40 ms) costs
 * more than they save there.
 */
export const DEFAULT_MIN_OBJECTS_FOR_THREADS = 20_000;

/**
 * Indexes a pack streamed as chunks, like `git index-pack`: every object's id, type, size,
 * offset and CRC32, with its pack-ready bytes handed to `onObject`. Memory stays bounded by the
 * cache budgets: pack bytes go to the spool, and bases that fell out of the cache are re-read
 * and re-inflated from it. Errors are `MegaError`s with `pack_*` / `delta_*` codes.
 */
export async function readPack(
  source: AsyncIterable<Uint8Array>,
  options: PackReaderOptions = {},
): Promise<PackReadResult> {
  const format = options.format ?? SHA1;
  const limits = { ...DEFAULT_PACK_READER_LIMITS, ...options.limits };
  const spool = options.spool ?? new MemoryPackSpool();
  // Ids stay raw from the hash to the callback when the caller takes them raw; objects the scan
  // does not hand on (those the resolver applies) reach it through an adapter.
  const onRaw = options.onObject ? undefined : options.onRawObject;
  if (onRaw) options = { ...options, onObject: byRawIds(onRaw, format) };
  // Big blobs are streamed when the caller can take them as a stream (or takes no content at all).
  const streamBlobs = options.onLargeBlob !== undefined || options.onObject === undefined;
  const threads = options.threads ?? Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
  const recent =
    threads <= 1 && (options.recentContentBytes ?? 0) > 0
      ? new RecentContents(options.recentContentBytes!, RECENT_FIRST_LAP, RECENT_DELTA_ROOM)
      : undefined;
  const scanner = new PackScanner(source, format, limits, spool, {
    forceInflateFallback: options.forceInflateFallback ?? false,
    skipCrc32: options.skipCrc32 ?? false,
    ...(recent
      ? {
          wholeTarget: (type: ObjectType, size: number) => placeWhole(recent, type, size),
          // Deltas go where the ring's delta loop reads them: not copied there again.
          deltaTarget: (size: number) => recent.deltaRoom(size),
          reuseDeltaBuffer: true,
        }
      : {}),
    streamBlobsFrom: streamBlobs
      ? (options.largeBlobThreshold ?? DEFAULT_LARGE_BLOB)
      : Number.POSITIVE_INFINITY,
    stopAtTrailer: options.stopAtTrailer ?? false,
  });
  const { version, count } = await scanner.readHeader();
  // Workers start now (unless already running), so their start-up overlaps the scan.
  const minObjects = options.minObjectsForThreads ?? DEFAULT_MIN_OBJECTS_FOR_THREADS;
  const pool = threads > 1 && count >= minObjects ? sharedResolveWorkerPool(threads) : undefined;
  const use = pool ? { pool, owner: pool.acquire() } : undefined;
  try {
    return await indexEntries(options, scanner, spool, format, limits, version, count, use, recent, onRaw);
  } finally {
    use?.pool.release(use.owner);
  }
}

async function indexEntries(
  options: PackReaderOptions,
  scanner: PackScanner,
  spool: PackSpool,
  format: ObjectFormat,
  limits: PackReaderLimits,
  version: number,
  count: number,
  workers: { pool: ResolveWorkerPool; owner: object } | undefined,
  recent: RecentContents | undefined,
  onRaw: PackReaderOptions['onRawObject'],
): Promise<PackReadResult> {
  const entries = new PackEntries(format, count, { crc32: !(options.skipCrc32 ?? false) });
  scanner.useEntryOffsets(entries);
  const baseCache = new BaseCache<number>(options.baseCacheBytes ?? DEFAULT_BASE_CACHE);
  let deltaBudget = options.deltaCacheBytes ?? DEFAULT_DELTA_CACHE;
  // The ids of the contents in `recent`, kept from the first REF_DELTA on (most packs have none).
  let recentIds: RecentIds | undefined;

  for (let n = 0; n < count; n++) {
    const next = scanner.nextEntry();
    const entry = next instanceof Promise ? await next : next;
    const index = entries.append(entry);
    const type = objectTypeOfCode(entry.code);
    if (type === undefined) {
      const delta = entry.inflated;
      if (recent && entry.isRefDelta)
        recentIds ??= new RecentIds(recent, index, rawIdColumn(entries, format));
      const base = entry.isRefDelta
        ? (recentIds?.indexOf(scanner.lastRawBaseId) ?? -1)
        : entries.baseIndex[index]!;
      // A REF base not in the ring may have left it: laps grow (harmless if it never was there).
      if (recent && base < 0) recent.noteMissed();
      const data =
        recent && delta && base >= 0 ? applyInScan(entries, recent, limits, index, base, delta) : undefined;
      // Only a REF_DELTA left to the resolver needs its base's id as hex (most in the scan do not).
      if (!data && entry.isRefDelta)
        entries.refBaseIds.set(index, objectIdFromRaw(scanner.lastRawBaseId, 0, format));
      if (data) {
        const baseType = entries.typeOf(base);
        const idAt = index * format.rawLength;
        hashFramedObjectInto(framedView(baseType, data), format, entries.rawIds, idAt);
        let done: void | Promise<void>;
        if (onRaw) {
          entries.resolveDeltaRaw(index, base, data.length);
          recentIds?.add(index);
          const read = rawBytesOf(scanner, spool, entries, index);
          const raw = read instanceof Promise ? await read : read;
          done = onRaw(rawObjectAt(entries, index, format.rawLength), { data, raw });
        } else {
          const id = objectIdFromRaw(entries.rawIds, idAt, format);
          entries.resolveDelta(index, base, id, data.length);
          recentIds?.add(index);
          if (!options.onObject) continue;
          const read = rawOf(scanner, spool, entries, index);
          const raw = read instanceof Promise ? await read : read;
          done = options.onObject(entries.objectAt(index, id, entries.idOf(base)), { data, raw });
        }
        if (done instanceof Promise) await done;
      } else if (delta && delta.length <= deltaBudget) {
        deltaBudget -= delta.length;
        // With `recent`, the scan's delta is in a reused buffer: keep a copy.
        entries.inflated.set(index, recent ? Buffer.from(delta) : delta);
      }
      continue;
    }
    const data = entry.inflated;
    // In the ring, the object's header was written before its content: hashed without a copy.
    const inRing = data !== undefined && recent !== undefined && recent.holdsReserved(data);
    if (inRing) recent.commit(index, data);
    if (data && onRaw) {
      const idAt = index * format.rawLength;
      if (inRing) hashFramedObjectInto(framedView(type, data), format, entries.rawIds, idAt);
      else hashObjectRawInto(type, data, format, entries.rawIds, idAt);
      entries.resolveWholeRaw(index, type);
      if (inRing) recentIds?.add(index);
      const read = rawBytesOf(scanner, spool, entries, index);
      const raw = read instanceof Promise ? await read : read;
      const done = onRaw(rawObjectAt(entries, index, format.rawLength), { data, raw });
      if (done instanceof Promise) await done;
      continue;
    }
    const id = entry.streamedId ?? hashObject(type, data!, format);
    entries.resolveWhole(index, id, type);
    if (inRing) recentIds?.add(index);
    if (!data) {
      if (!options.onLargeBlob) continue;
      const raw = rawPieces(spool, entries.dataStart(index), entry.compressedLength);
      const done = options.onLargeBlob(entries.objectAt(index, id), raw);
      if (done instanceof Promise) await done;
    } else if (options.onObject) {
      const read = rawOf(scanner, spool, entries, index);
      const raw = read instanceof Promise ? await read : read;
      const done = options.onObject(entries.objectAt(index, id), { data, raw });
      if (done instanceof Promise) await done;
    }
  }
  const checksum = await scanner.readTrailer();

  const resolver = new DeltaResolver({
    entries,
    spool,
    format,
    limits,
    baseCache,
    ...(options.resolveExternalBase ? { resolveExternalBase: options.resolveExternalBase } : {}),
    ...(options.onObject ? { onObject: options.onObject } : {}),
    forceInflateFallback: options.forceInflateFallback ?? false,
  });
  if (workers && resolver.pending > 0 && (await workers.pool.ready)) {
    await resolveInParallel({
      entries,
      resolver,
      ...workers,
      spool,
      format,
      limits,
      ...(options.onObject ? { onObject: options.onObject } : {}),
    });
  }
  await resolver.resolveAll();
  return packReadResult(version, entries, checksum);
}

/** The entries' raw ids, as `RecentIds` reads them. */
function rawIdColumn(entries: PackEntries, format: ObjectFormat): RawIdColumn {
  return { rawLength: format.rawLength, rawIds: () => entries.rawIds };
}

/** `onRawObject` as an `onObject`: the ids made raw again (for objects the resolver hands on). */
function byRawIds(
  onRaw: NonNullable<PackReaderOptions['onRawObject']>,
  format: ObjectFormat,
): NonNullable<PackReaderOptions['onObject']> {
  const rawLength = format.rawLength;
  return (object, content) => {
    const ids = Buffer.allocUnsafe(2 * rawLength);
    ids.write(object.id, 0, rawLength, 'hex');
    if (object.deltaBase !== undefined) ids.write(object.deltaBase, rawLength, rawLength, 'hex');
    const raw: RawPackedObject = {
      type: object.type,
      size: object.size,
      deltaSize: object.deltaSize ?? -1,
      ids,
      idAt: 0,
      baseIdAt: object.deltaBase === undefined ? -1 : rawLength,
    };
    return onRaw(raw, content);
  };
}

/** The zlib stream of the entry just scanned: a view of the received bytes, else read from the spool. */
function rawOf(
  scanner: PackScanner,
  spool: PackSpool,
  entries: PackEntries,
  index: number,
): Buffer | Promise<Buffer> {
  return scanner.lastRawInWindow() ?? spool.read(entries.dataStart(index), entries.compressedLengthOf(index));
}

/** `rawOf` for `onRawObject`: a plain view of the received bytes where they hold the stream. */
function rawBytesOf(
  scanner: PackScanner,
  spool: PackSpool,
  entries: PackEntries,
  index: number,
): Uint8Array | Promise<Buffer> {
  return (
    scanner.lastRawBytesInWindow() ?? spool.read(entries.dataStart(index), entries.compressedLengthOf(index))
  );
}

/** An entry resolved in the scan as `onRawObject` takes it: ids are views of the entries' raw ids. */
function rawObjectAt(entries: PackEntries, index: number, rawLength: number): RawPackedObject {
  const isDelta = entries.depth[index]! > 0;
  return {
    type: entries.typeOf(index),
    size: entries.sizeOf(index),
    deltaSize: isDelta ? entries.declaredSizeOf(index) : -1,
    ids: entries.rawIds,
    idAt: index * rawLength,
    baseIdAt: isDelta ? entries.deltaBase[index]! * rawLength : -1,
  };
}

/**
 * Room in the ring for a whole object's content, after its header (so the two are hashed in
 * one piece), and one byte more (the inflater's check for too long a stream).
 */
function placeWhole(recent: RecentContents, type: ObjectType, size: number): Buffer | undefined {
  const at = recent.reserve(objectHeaderLength(type, size) + size + 1);
  if (at < 0) return undefined;
  const contentAt = at + writeObjectHeader(type, size, recent.bytes, at);
  return recent.bytes.subarray(contentAt, contentAt + size + 1);
}

/**
 * Header and content of an object placed in the ring (`placeWhole`, `applyInScan`), to hash: a
 * plain `Uint8Array`, which costs half what a `Buffer` view does to make.
 */
function framedView(type: ObjectType, data: Buffer): Uint8Array {
  const headerLength = objectHeaderLength(type, data.length);
  return new Uint8Array(data.buffer, data.byteOffset - headerLength, headerLength + data.length);
}

/**
 * Applies the delta just scanned at `index` if its base (entry `base`: its OFS base, or the entry
 * of the id a REF_DELTA names) is still in `recent`; its content (in `recent`), or undefined to
 * leave the delta to the resolver. Anything the resolver would refuse (too deep a chain, too big
 * a result, a malformed delta) is left to it too, so a bad pack fails with the same error, at the
 * same point, as without `recent`.
 */
function applyInScan(
  entries: PackEntries,
  recent: RecentContents,
  limits: PackReaderLimits,
  index: number,
  base: number,
  delta: Buffer,
): Buffer | undefined {
  if (!entries.isResolved(base) || entries.depth[base]! + 1 > limits.maxDeltaDepth) return undefined;
  const baseAt = recent.offsetOf(base);
  if (baseAt < 0) {
    // Overwritten: laps grow, so later deltas find such bases.
    if (recent.placed(base)) recent.noteMissed();
    return undefined;
  }
  const type = entries.typeOf(base);
  const limit = objectSizeLimit(limits, type);
  try {
    const { baseSize, resultSize, headerLength } = deltaSizes(delta);
    if (baseSize !== recent.lengthOf(base) || resultSize > limit) return undefined;
    // Not over the base: it is read while the result is written. The header goes first.
    const at = recent.reserve(objectHeaderLength(type, resultSize) + resultSize, base);
    if (at < 0) return undefined;
    const ring = recent.bytes;
    const resultAt = at + writeObjectHeader(type, resultSize, ring, at);
    // Base and result both lie in the ring: applied in place there, with no work buffer.
    if (!recent.applyDelta(delta, headerLength, baseAt, baseSize, resultAt, resultSize))
      applyDeltaWithin(ring, baseAt, baseSize, delta, resultAt, limit);
    const data = ring.subarray(resultAt, resultAt + resultSize);
    recent.commit(index, data);
    return data;
  } catch {
    return undefined;
  }
}

/**
 * The reader's result. Its `objects` list (a `PackedObject` per entry) is made when first read:
 * a caller that needs only the checksum never holds one object per entry.
 */
function packReadResult(version: number, entries: PackEntries, checksum: Buffer): PackReadResult {
  let objects: PackedObject[] | undefined;
  return {
    version,
    get objects() {
      objects ??= entries.objects();
      return objects;
    },
    checksum,
    externalBases: entries.externals,
  };
}

/**
 * A stored zlib stream read back from the spool in bounded pieces. Where the spool can fill a
 * buffer, every piece is a view of one reused buffer, valid until the next piece is asked for.
 */
export async function* rawPieces(spool: PackSpool, start: number, length: number): AsyncGenerator<Buffer> {
  if (spool.readInto) {
    const buffer = Buffer.allocUnsafe(Math.min(RAW_PIECE, length));
    for (let done = 0; done < length; done += buffer.length) {
      const piece = buffer.subarray(0, Math.min(buffer.length, length - done));
      spool.readInto(start + done, piece);
      yield piece;
    }
    return;
  }
  for (let done = 0; done < length; done += RAW_PIECE) {
    const piece = spool.read(start + done, Math.min(RAW_PIECE, length - done));
    yield piece instanceof Promise ? await piece : piece;
  }
}
