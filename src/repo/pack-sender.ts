import { promisify } from 'node:util';
import { deflate as deflateCallback } from 'node:zlib';
import { SHA1 } from '../git/object-format.js';
import { objectIdToRaw, type ObjectId } from '../git/object-id.js';
import {
  PackEntryType,
  codeOfObjectType,
  encodeEntryHeader,
  encodeOfsDistance,
  encodePackHeader,
} from '../git/pack-format.js';
import { notFound } from '../platform/errors.js';
import type { WalkedObject } from './object-walk.js';
import type { ObjectSource, PackReadyObject } from './served-repository.js';

const deflate = promisify(deflateCallback);

/** Objects read from storage per batch (one query each batch). */
export const PACK_READ_BATCH = 1000;
/** How far a delta's base is pulled forward to keep OFS deltas (deeper chains fall back to REF). */
const MAX_BASE_RECURSION = 64;

/** Where pack bytes go; `write` resolves when the consumer can take more (backpressure). */
export interface ByteSink {
  write(chunk: Buffer): Promise<void>;
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
   * its storage row when known.
   */
  readonly onWritten?: (object: WalkedObject, row: number | undefined) => void;
}

export interface PackSendStats {
  readonly objects: number;
  readonly reusedDeltas: number;
  readonly bytes: number;
  /** The pack came whole from the clone cache. */
  readonly fromCache?: boolean;
}

/**
 * Streams a pack (gitformat-pack) of `list` as it is produced. Stored entries are copied byte for
 * byte: whole objects as they are, deltas when their base is in the pack (OFS when the base is
 * already written, the base is pulled forward to allow that) or the client has it and thin packs
 * are allowed (REF). Anything else is inflated and deflated as a whole object.
 */
export async function sendPack(
  objects: ObjectSource,
  list: readonly WalkedObject[],
  options: PackSendOptions,
  sink: ByteSink,
): Promise<PackSendStats> {
  const writer = new HashingWriter(sink);
  const inPack = new Map(list.map((object) => [object.id, object]));
  const offsets = new Map<ObjectId, number>();
  let reusedDeltas = 0;
  await writer.write(encodePackHeader(list.length));

  const place = (object: WalkedObject, stored: PackReadyObject | undefined) => {
    offsets.set(object.id, writer.position);
    options.onWritten?.(object, stored?.row);
  };
  // Bases pulled forward, read in batches with the entries that need them.
  const prefetched = new Map<ObjectId, PackReadyObject>();
  const emit = async (
    object: WalkedObject,
    stored: PackReadyObject | undefined,
    depth: number,
  ): Promise<void> => {
    if (offsets.has(object.id)) return;
    const base = stored?.deltaBase;
    if (stored && base !== undefined) {
      const baseInPack = inPack.get(base);
      if (baseInPack && !offsets.has(base) && depth < MAX_BASE_RECURSION) {
        await emit(baseInPack, prefetched.get(base) ?? (await readOne(objects, base)), depth + 1);
      }
      const baseOffset = offsets.get(base);
      if (baseOffset !== undefined && options.ofsDelta) {
        place(object, stored);
        const distance = writer.position - baseOffset;
        await writer.write(encodeEntryHeader(PackEntryType.OfsDelta, stored.size));
        await writer.write(encodeOfsDistance(distance));
        await writeDeflated(writer, stored);
        reusedDeltas++;
        return;
      }
      if (baseInPack || (options.thinPack && options.clientHas.has(base))) {
        place(object, stored);
        await writer.write(encodeEntryHeader(PackEntryType.RefDelta, stored.size));
        await writer.write(objectIdToRaw(base));
        await writeDeflated(writer, stored);
        reusedDeltas++;
        return;
      }
    }
    place(object, stored);
    if (stored && base === undefined) {
      await writer.write(encodeEntryHeader(codeOfObjectType(stored.type), stored.size));
      await writeDeflated(writer, stored);
      return;
    }
    const whole = await objects.readObject(object.id);
    if (!whole) throw notFound('object_missing', `object ${object.id} is missing`);
    await writer.write(encodeEntryHeader(codeOfObjectType(whole.type), whole.content.length));
    await writer.write(await deflate(whole.content));
  };

  for (let start = 0; start < list.length; start += PACK_READ_BATCH) {
    // Objects already pulled forward as delta bases are not read again.
    const batch = list.slice(start, start + PACK_READ_BATCH).filter((object) => !offsets.has(object.id));
    const stored = await readMany(
      objects,
      batch.map((object) => object.id),
      batch.some((object) => object.row !== undefined) ? batch.map((object) => object.row) : undefined,
    );
    prefetched.clear();
    stored.forEach((entry, id) => prefetched.set(id, entry));
    await prefetchForwardBases(objects, stored, prefetched, (id) => inPack.has(id) && !offsets.has(id));
    for (const object of batch) await emit(object, stored.get(object.id), 0);
  }
  await writer.finish();
  return { objects: list.length, reusedDeltas, bytes: writer.position + SHA1.rawLength };
}

async function readMany(
  objects: ObjectSource,
  ids: readonly ObjectId[],
  rows?: ReadonlyArray<number | undefined>,
): Promise<ReadonlyMap<ObjectId, PackReadyObject>> {
  if (objects.readPackReadyMany) return objects.readPackReadyMany(ids, rows);
  const found = new Map<ObjectId, PackReadyObject>();
  if (!objects.readPackReady) return found;
  for (const id of ids) {
    const stored = await objects.readPackReady(id);
    if (stored) found.set(id, stored);
  }
  return found;
}

/**
 * Reads, level by level, the delta bases that will be pulled forward (in the pack, not written
 * yet, not in this batch), so pulling them forward costs a few batched reads instead of one each.
 */
async function prefetchForwardBases(
  objects: ObjectSource,
  batch: ReadonlyMap<ObjectId, PackReadyObject>,
  into: Map<ObjectId, PackReadyObject>,
  pending: (id: ObjectId) => boolean,
): Promise<void> {
  let level = [...batch.values()];
  for (let depth = 0; depth < MAX_BASE_RECURSION && level.length > 0; depth++) {
    const wanted = [
      ...new Set(
        level
          .map((entry) => entry.deltaBase)
          .filter(
            (base): base is ObjectId =>
              base !== undefined && pending(base) && !batch.has(base) && !into.has(base),
          ),
      ),
    ];
    if (wanted.length === 0) return;
    const found = await readMany(objects, wanted);
    found.forEach((entry, id) => into.set(id, entry));
    level = [...found.values()];
  }
}

async function readOne(objects: ObjectSource, id: ObjectId): Promise<PackReadyObject | undefined> {
  return (await readMany(objects, [id])).get(id);
}

async function writeDeflated(writer: HashingWriter, stored: PackReadyObject): Promise<void> {
  if (Buffer.isBuffer(stored.deflated)) {
    await writer.write(stored.deflated);
    return;
  }
  for await (const chunk of stored.deflated()) await writer.write(chunk);
}

/** Bytes gathered before they go to the sink: one hash update and one write per piece. */
const STAGING_BYTES = 64 * 1024;

/**
 * Tracks the pack position and the trailing checksum while writing through. Small writes (entry
 * headers, small objects) are gathered into pieces of STAGING_BYTES: a clone is tens of thousands
 * of them, and a hash update plus an awaited sink write each cost more than the copy.
 */
class HashingWriter {
  private readonly hash = SHA1.createHasher();
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  private staged = 0;
  position = 0;

  constructor(private readonly sink: ByteSink) {}

  async write(chunk: Buffer): Promise<void> {
    this.position += chunk.length;
    if (chunk.length >= STAGING_BYTES / 2) {
      await this.flush();
      await this.send(chunk);
      return;
    }
    if (this.staged + chunk.length > STAGING_BYTES) await this.flush();
    chunk.copy(this.staging, this.staged);
    this.staged += chunk.length;
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.sink.write(this.hash.digest());
  }

  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    const piece = this.staging.subarray(0, this.staged);
    // The sink may keep the piece until it is sent: the next one gets a new buffer.
    this.staging = Buffer.allocUnsafe(STAGING_BYTES);
    this.staged = 0;
    await this.send(piece);
  }

  private async send(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    await this.sink.write(chunk);
  }
}
