import { promisify } from 'node:util';
import { constants, deflate as deflateCallback } from 'node:zlib';
import { objectFormatOfId, SHA1, type ObjectFormat } from '../git/object-format.js';
import { objectIdToRaw, type ObjectId } from '../git/object-id.js';
import { Deflater } from '../git/deflater.js';
import { PackEntryType, codeOfObjectType, encodePackHeader } from '../git/pack-format.js';
import { PackStream, type PackSink } from '../git/pack-stream.js';
import { notFound } from '../platform/errors.js';
import type { PackReadyObject, StoredObjectHint } from '../storage/pack-ready.js';
import { PackListIndex } from './pack-list-index.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';

const deflate = promisify(deflateCallback);

/** Objects read from storage per batch (one query each batch). */
export const PACK_READ_BATCH = 1000;
/**
 * Objects sent whole (a stored delta whose base neither the pack nor the client has: most of a
 * shallow clone) are read with their batch, up to this many inflated bytes per batch; those past
 * the budget are read alone when their turn comes.
 */
const WHOLE_READ_AHEAD_BYTES = 32 * 1024 * 1024;
/** Whole objects up to this size are deflated on the request's thread by one reused zlib stream. */
const SYNC_DEFLATE_BYTES = 256 * 1024;
/**
 * zlib level of objects deflated while a pack is sent (a stored delta whose base the client will
 * not have: most of what a shallow clone sends whole). git stores loose objects at this level
 * for the same reason: the work is paid on every request. On the 3,251 such objects of a
 * `--depth 1` clone of the `large` bench repository (14 MB inflated) it cost 125–139 ms of CPU
 * against 286–347 ms at zlib's default, for 4.38 MB against 3.86 MB deflated (the pack +1.8 %).
 */
const SENT_WHOLE_LEVEL = constants.Z_BEST_SPEED;
/** How far a delta's base is pulled forward to keep OFS deltas (deeper chains fall back to REF). */
const MAX_BASE_RECURSION = 64;

/** Where pack bytes go; `write` resolves when the consumer can take more (backpressure). */
export interface ByteSink extends PackSink {
  /**
   * Told once the response is side-band multiplexed from here on, so a failure is reported on
   * band 3 instead of as an `ERR` packet (which a demultiplexing client would misread).
   */
  markSideband?(): void;
}

export interface PackSendOptions {
  readonly ofsDelta: boolean;
  readonly thinPack: boolean;
  /** Objects the client has: thin-pack delta bases. */
  readonly clientHas: ReadonlySet<ObjectId>;
  /**
   * Told every object in the order it is written (bases pulled forward come before deltas), with
   * storage's hint for it when known and where its entry starts in the pack.
   */
  readonly onWritten?: (object: WalkedObject, hint: StoredObjectHint | undefined, offset: number) => void;
}

export interface PackSendStats {
  readonly objects: number;
  readonly reusedDeltas: number;
  readonly bytes: number;
  /** The pack came whole from the clone cache. */
  readonly fromCache?: boolean;
  /** The pack was cut out of a full clone's cached pack (`cached-pack-subset.ts`). */
  readonly fromFullPack?: boolean;
}

/**
 * Streams a pack (gitformat-pack) of `list` as it is produced. Stored entries are copied byte for
 * byte: whole objects as they are, deltas when their base is in the pack (OFS when the base is
 * already written, the base is pulled forward to allow that) or the client has it and thin packs
 * are allowed (REF). Anything else is inflated and deflated as a whole object.
 *
 * An entry whose stored bytes are in memory is written synchronously; only a batch read, a
 * streamed or re-deflated entry, or a full piece waiting for the sink is awaited. A clone is tens
 * of thousands of entries, and a promise or two each cost more than copying their bytes.
 */
export async function sendPack(
  objects: ObjectSource,
  list: readonly WalkedObject[],
  options: PackSendOptions,
  sink: ByteSink,
): Promise<PackSendStats> {
  // Ids are of the repository's format, and so is the pack's checksum.
  const format = objectFormatOfList(list);
  const writer = new PackStream(sink, format);
  // Where each object of the list starts in the pack, plus one, by its position (0: not written
  // yet): a delta whose base is written goes as OFS. A `Map` of offsets by hex id cost ~0.45 s of
  // CPU in the 356k insertions of a `blob:limit` clone of the `large` bench repository.
  const starts = new Float64Array(list.length);
  const startOf = (position: number): number => (position < 0 ? -1 : (starts[position] as number) - 1);
  // Positions by id, made only when a base is looked for outside its delta's batch (a record
  // lists nearly every base in its delta's batch, whose own map answers).
  let index: PackListIndex | undefined;
  let batchPositions = new Map<ObjectId, number>();
  /** Where `id` is in the list (-1: not in the pack). */
  const positionOf = (id: ObjectId): number => {
    const inBatch = batchPositions.get(id);
    if (inBatch !== undefined) return inBatch;
    index ??= new PackListIndex(list);
    return index.positionOf(id);
  };
  let reusedDeltas = 0;
  writer.append(encodePackHeader(list.length));

  const place = (position: number, object: WalkedObject, stored: PackReadyObject | undefined) => {
    starts[position] = writer.position + 1;
    options.onWritten?.(object, stored?.hint, writer.position);
  };
  const appendStored = (stored: PackReadyObject): Promise<void> | undefined => {
    if (!Buffer.isBuffer(stored.deflated)) return writer.appendStream(stored.deflated());
    writer.append(stored.deflated);
    return undefined;
  };

  /**
   * Writes the stored entry of the object at `position` once its base, if in the pack, is
   * written or was left for later. `knownBaseOffset`: the base's offset when the caller looked it
   * up already (-1: not known).
   */
  const writeStored = (
    position: number,
    stored: PackReadyObject,
    knownBaseOffset = -1,
  ): Promise<void> | undefined => {
    // Only a damaged store (a delta cycle) could have written it while pulling its bases forward.
    if (startOf(position) >= 0) return undefined;
    const object = list[position] as WalkedObject;
    const base = stored.deltaBase;
    if (base === undefined) {
      place(position, object, stored);
      writer.appendEntryHeader(codeOfObjectType(stored.type), stored.payloadSize);
      return appendStored(stored);
    }
    const basePosition = knownBaseOffset >= 0 ? -1 : positionOf(base);
    const baseOffset = knownBaseOffset >= 0 ? knownBaseOffset : startOf(basePosition);
    if (baseOffset >= 0 && options.ofsDelta) {
      place(position, object, stored);
      const distance = writer.position - baseOffset;
      writer.appendEntryHeader(PackEntryType.OfsDelta, stored.payloadSize);
      writer.appendOfsDistance(distance);
      reusedDeltas++;
      return appendStored(stored);
    }
    if (baseOffset >= 0 || basePosition >= 0 || (options.thinPack && options.clientHas.has(base))) {
      place(position, object, stored);
      writer.appendEntryHeader(PackEntryType.RefDelta, stored.payloadSize);
      writer.append(objectIdToRaw(base));
      reusedDeltas++;
      return appendStored(stored);
    }
    return writeWhole(position);
  };

  // Whole objects of the batch read ahead: their inflated size and their deflate under way.
  let ahead = new WholeObjectsAhead();
  const deflater = wholeObjectDeflater();
  /** Writes an inflated object whole; awaits only a big object's deflate (off the thread). */
  const appendWhole = (
    position: number,
    whole: { type: WalkedObject['type']; content: Buffer },
  ): Promise<void> | undefined => {
    const deflated = deflateWhole(deflater, whole.content);
    const append = (bytes: Buffer) => {
      place(position, list[position] as WalkedObject, undefined);
      writer.appendEntryHeader(codeOfObjectType(whole.type), whole.content.length);
      writer.append(bytes);
    };
    if (!Buffer.isBuffer(deflated)) return deflated.then(append);
    append(deflated);
    return undefined;
  };
  /** An object with no usable stored form: inflated (deltas resolved) and deflated whole. */
  const writeWhole = (position: number): Promise<void> | undefined => {
    const object = list[position] as WalkedObject;
    const ready = ahead.take(object.id);
    if (ready) return appendWhole(position, ready);
    return objects.readObject(object.id).then((whole) => {
      if (!whole) throw notFound('object_missing', `object ${object.id} is missing`);
      return appendWhole(position, whole);
    });
  };

  // The stored forms of the batch being written, and of the bases it pulls forward.
  let batchStart = 0;
  /** The batch's stored forms by position less `batchStart` (undefined: none, or written before). */
  let batchStored: Array<PackReadyObject | undefined> = [];
  const prefetched = new Map<ObjectId, PackReadyObject>();
  /**
   * Writes the object at `position` (unless written already: pulled forward as a base), pulling
   * its base forward first when the base is in the pack and not written yet. `baseOffset`: where
   * the base starts when it is known written (-1: not known).
   */
  const emit = (
    position: number,
    stored: PackReadyObject | undefined,
    depth: number,
    baseOffset = -1,
  ): Promise<void> | undefined => {
    if (startOf(position) >= 0) return undefined;
    if (!stored) return writeWhole(position);
    if (baseOffset >= 0) return writeStored(position, stored, baseOffset);
    const baseId = stored.deltaBase;
    const basePosition = baseId === undefined ? -1 : positionOf(baseId);
    if (basePosition >= 0 && startOf(basePosition) < 0 && depth < MAX_BASE_RECURSION) {
      const base = list[basePosition] as WalkedObject;
      const known =
        (basePosition >= batchStart ? batchStored[basePosition - batchStart] : undefined) ??
        prefetched.get(base.id);
      const pulling = known
        ? emit(basePosition, known, depth + 1)
        : readOne(objects, base.id).then((found) => emit(basePosition, found, depth + 1));
      if (pulling) return pulling.then(() => writeStored(position, stored));
    }
    return writeStored(position, stored);
  };

  for (let start = 0; start < list.length; start += PACK_READ_BATCH) {
    // Objects already pulled forward as delta bases are not read again.
    const positions: number[] = [];
    for (let position = start; position < Math.min(start + PACK_READ_BATCH, list.length); position++) {
      if (startOf(position) < 0) positions.push(position);
    }
    const batch = positions.map((position) => list[position] as WalkedObject);
    batchPositions = new Map();
    positions.forEach((position) => batchPositions.set((list[position] as WalkedObject).id, position));
    const entries = await objects.readPackReady(batch);
    batchStart = start;
    batchStored = new Array<PackReadyObject | undefined>(PACK_READ_BATCH);
    entries.forEach((entry, at) => {
      batchStored[(positions[at] as number) - start] = entry;
    });
    // Each entry, and where its base starts when it was written before this batch (-1 otherwise).
    // A record lists bases first, mostly within the same batch (333k of the 333k deltas of a
    // `blob:limit` clone of the `large` bench repository): those are told by the batch's own
    // small map and their offset read when their turn comes; only a base outside the batch is
    // looked up here.
    const baseOffsets = entries.map((entry) => {
      const base = entry?.deltaBase;
      return base === undefined || batchPositions.has(base) ? -1 : startOf(positionOf(base));
    });
    /** Whether the entry at `at` is a delta whose base is neither written nor in this batch. */
    const baseElsewhere = (at: number): boolean => {
      const base = entries[at]?.deltaBase;
      return base !== undefined && baseOffsets[at] === -1 && !batchPositions.has(base);
    };
    const unwrittenBases = entries.filter((entry, at): entry is PackReadyObject => baseElsewhere(at));
    prefetched.clear();
    await prefetchForwardBases(objects, unwrittenBases, batchPositions, prefetched, (id) => {
      const position = positionOf(id);
      return position >= 0 && startOf(position) < 0;
    });
    const sentWhole = (at: number): boolean => {
      const base = entries[at]?.deltaBase as ObjectId;
      return baseElsewhere(at) && positionOf(base) < 0 && !(options.thinPack && options.clientHas.has(base));
    };
    ahead = await WholeObjectsAhead.read(objects, batch, entries, sentWhole);
    for (let at = 0; at < batch.length; at++) {
      const entry = entries[at];
      let baseOffset = baseOffsets[at] as number;
      const inBatch = entry?.deltaBase === undefined ? undefined : batchPositions.get(entry.deltaBase);
      if (baseOffset === -1 && inBatch !== undefined) baseOffset = startOf(inBatch);
      const pending = emit(positions[at] as number, entry, 0, baseOffset);
      if (pending) await pending;
      if (writer.backlogged) await writer.drain();
    }
    ahead.discard();
  }
  await writer.finish();
  return { objects: list.length, reusedDeltas, bytes: writer.totalBytes };
}

/**
 * Reads, level by level, the delta bases that will be pulled forward (in the pack, not written
 * yet, not in this batch), so pulling them forward costs a few batched reads instead of one each.
 * `deltas`: the batch's entries whose base is not written yet.
 */
async function prefetchForwardBases(
  objects: ObjectSource,
  deltas: readonly PackReadyObject[],
  batch: ReadonlyMap<ObjectId, unknown>,
  into: Map<ObjectId, PackReadyObject>,
  pending: (id: ObjectId) => boolean,
): Promise<void> {
  let level: readonly PackReadyObject[] = deltas;
  for (let depth = 0; depth < MAX_BASE_RECURSION && level.length > 0; depth++) {
    const wanted = [
      ...new Set(
        level
          .map((entry) => entry.deltaBase)
          .filter(
            (base): base is ObjectId =>
              base !== undefined && !batch.has(base) && !into.has(base) && pending(base),
          ),
      ),
    ];
    if (wanted.length === 0) return;
    const found = await objects.readPackReady(wanted.map((id) => ({ id })));
    const read: PackReadyObject[] = [];
    found.forEach((entry, index) => {
      if (entry) into.set(wanted[index] as ObjectId, entry);
      if (entry) read.push(entry);
    });
    level = read;
  }
}

async function readOne(objects: ObjectSource, id: ObjectId): Promise<PackReadyObject | undefined> {
  return (await objects.readPackReady([{ id }]))[0];
}

/**
 * The objects of one batch that go whole, inflated in one batched read: one query per
 * delta-chain level for the batch, where reading them one at a time costs one per level each.
 */
class WholeObjectsAhead {
  private readonly contents = new Map<ObjectId, { type: WalkedObject['type']; content: Buffer }>();

  static async read(
    objects: ObjectSource,
    batch: readonly WalkedObject[],
    stored: ReadonlyArray<PackReadyObject | undefined>,
    sentWhole: (index: number) => boolean,
  ): Promise<WholeObjectsAhead> {
    const ahead = new WholeObjectsAhead();
    const ids: ObjectId[] = [];
    let bytes = 0;
    batch.forEach((object, index) => {
      const entry = stored[index];
      if (!entry || !sentWhole(index) || bytes + entry.size > WHOLE_READ_AHEAD_BYTES) return;
      bytes += entry.size;
      ids.push(object.id);
    });
    if (ids.length === 0) return ahead;
    for await (const object of objects.readObjects(ids)) {
      ahead.contents.set(object.id, { type: object.type, content: object.content });
    }
    return ahead;
  }

  /** The object read ahead, if it was (each is taken once). */
  take(id: ObjectId): { type: WalkedObject['type']; content: Buffer } | undefined {
    const read = this.contents.get(id);
    if (read) this.contents.delete(id);
    return read;
  }

  /** Lets go of what was read and not written (nothing should remain). */
  discard(): void {
    this.contents.clear();
  }
}

/** The object format of a list's ids (SHA-1 for an empty list). */
export function objectFormatOfList(list: readonly WalkedObject[]): ObjectFormat {
  return (list[0] && objectFormatOfId(list[0].id)) ?? SHA1;
}

/** The reused zlib stream of `deflateWhole`. */
export function wholeObjectDeflater(): Deflater {
  return new Deflater(SENT_WHOLE_LEVEL);
}

/**
 * `content` deflated for a whole-object entry: a small one at once by the reused `deflater`
 * (`wholeObjectDeflater`), a big one off the request's thread.
 */
export function deflateWhole(deflater: Deflater, content: Buffer): Buffer | Promise<Buffer> {
  return content.length <= SYNC_DEFLATE_BYTES
    ? deflater.deflate(content)
    : deflate(content, { level: SENT_WHOLE_LEVEL });
}
