import type { FileHandle } from 'node:fs/promises';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { objectIdFromRaw, type ObjectId } from '../git/object-id.js';
import type { Deflater } from '../git/deflater.js';
import { RawIdTable } from '../git/raw-id-table.js';
import {
  PackEntryType,
  codeOfObjectType,
  decodeEntryHeader,
  decodePackHeader,
  encodePackHeader,
  PACK_HEADER_LENGTH,
} from '../git/pack-format.js';
import { PackStream } from '../git/pack-stream.js';
import { MegaError, notFound } from '../platform/errors.js';
import type { IndexedCachedPack } from '../storage/pack-cache.js';
import { parsePackEntryIndex, type PackEntryIndex } from './pack-entry-index.js';
import { deflateWhole, wholeObjectDeflater, type ByteSink, type PackSendStats } from './pack-sender.js';
import type { ObjectSource, WalkList } from './served-repository.js';

/** Bytes of the cached pack read at a time; an entry longer than this is copied in pieces. */
const READ_WINDOW = 4 * 1024 * 1024;
/** Enough of an entry for its header: type and size, an OFS distance or a REF base id. */
const ENTRY_HEAD_BYTES = 64;

/**
 * Sends the pack of `list` cut out of a cached pack holding all of it (a full clone's, for a
 * `blob:limit` or `blob:none` clone of the same wants), as git reuses its packs' bytes: the kept
 * entries are copied in the cached pack's order, an OFS delta's distance rewritten to where its
 * base now is, and a delta whose base the list leaves out read from `objects` and sent whole.
 * Nothing is read from the database but those (a few hundred of 356k objects in a `blob:limit=1k`
 * clone of the `large` bench repository), where the replay reads every kept object's row.
 *
 * Undefined, with nothing written, when the cached pack does not hold exactly `list` (the caller
 * then sends as usual).
 */
export async function sendCachedSubset(
  pack: IndexedCachedPack,
  list: WalkList,
  objects: ObjectSource,
  sink: ByteSink,
): Promise<PackSendStats | undefined> {
  const format = list.rawLength === SHA256.rawLength ? SHA256 : SHA1;
  const header = Buffer.alloc(PACK_HEADER_LENGTH);
  await pack.file.read(header, 0, PACK_HEADER_LENGTH, 0);
  const index = parsePackEntryIndex(pack.index, decodePackHeader(header).count);
  if (!index || index.rawLength !== format.rawLength) return undefined;
  // A list picked from a record has its raw ids at hand; decoded objects' hex ids are decoded
  // once, natively, so the match compares bytes.
  const listRaw = list.rawIds();
  if (!listRaw) return undefined;
  let listIds: RawIdTable | undefined;
  const ids = () => (listIds ??= idTable(listRaw, list.count, format.rawLength));
  const kept = rememberedCut(pack, listRaw, () => {
    const chosen = keptEntries(index, listRaw, list.count, ids);
    return chosen && keptSpans(index, chosen, pack.size, pack.size - format.rawLength);
  });
  if (!kept) return undefined;

  const writer = new PackStream(sink, format);
  writer.append(encodePackHeader(list.count));
  const reader = new WindowedReader(pack.file, pack.size);
  // Where each kept entry starts in the new pack, by its place among the kept.
  const starts = new Float64Array(kept.count);
  const deflater = wholeObjectDeflater();
  let reusedDeltas = 0;
  // Each entry in the window is copied without a promise: a clone is hundreds of thousands.
  for (let at = 0; at < kept.count; at++) {
    const entry = kept.entries[at] as number;
    const from = kept.from[at] as number;
    const to = kept.to[at] as number;
    if (!reader.holds(from, Math.min(to, from + ENTRY_HEAD_BYTES))) await reader.load(from);
    const header = decodeEntryHeader(reader.window, from - reader.start, format.rawLength);
    if (!header) throw damaged(from);
    const position = writer.position;
    let copyFrom = from;
    if (header.code === PackEntryType.OfsDelta) {
      const base = keptAt(kept.from, at, from - (header.ofsDistance as number));
      if (base < 0) {
        await sendWhole(writer, deflater, objects, entryId(index, entry, format));
        copyFrom = to;
      } else {
        writer.appendEntryHeader(PackEntryType.OfsDelta, header.size);
        writer.appendOfsDistance(position - (starts[base] as number));
        copyFrom = from + header.length;
        reusedDeltas++;
      }
    } else if (header.code === PackEntryType.RefDelta) {
      // Kept as REF when its base is in the pack (a base the sender could not pull forward).
      const baseAt = from - reader.start + header.length - format.rawLength;
      if (ids().find(reader.window, baseAt) >= 0) {
        reusedDeltas++;
      } else {
        await sendWhole(writer, deflater, objects, entryId(index, entry, format));
        copyFrom = to;
      }
    }
    if (copyFrom < to) {
      if (reader.holds(copyFrom, to)) {
        writer.appendCopy(reader.window, copyFrom - reader.start, to - reader.start);
      } else {
        await copyInPieces(writer, reader, copyFrom, to);
      }
    }
    starts[at] = position;
    if (writer.backlogged) await writer.drain();
  }
  await writer.finish();
  return { objects: list.count, reusedDeltas, bytes: writer.totalBytes, fromFullPack: true };
}

/**
 * The entries of the index holding the list's objects (`count` raw ids in `listRaw`), ascending;
 * undefined unless every object of the list is an entry of the index. A full clone's pack is
 * written in its record's order and a partial clone's list is that record filtered, so the two
 * are merged in one pass; lists in another order are looked up by id.
 */
function keptEntries(
  index: PackEntryIndex,
  listRaw: Buffer,
  count: number,
  ids: () => RawIdTable,
): Uint32Array | undefined {
  const kept = new Uint32Array(count);
  const rawLength = index.rawLength;
  const entryIds = index.ids;
  let next = 0;
  let listAt = 0;
  for (let entry = 0; entry < index.count && next < count; entry++) {
    const at = index.idOffset(entry);
    let same = 0;
    while (same < rawLength && entryIds[at + same] === listRaw[listAt + same]) same++;
    if (same === rawLength) {
      kept[next++] = entry;
      listAt += rawLength;
    }
  }
  return next === count ? kept : keptById(index, count, ids());
}

function keptById(index: PackEntryIndex, count: number, wanted: RawIdTable): Uint32Array | undefined {
  if (wanted.size !== count) return undefined;
  const kept = new Uint32Array(count);
  let found = 0;
  for (let entry = 0; entry < index.count && found < count; entry++) {
    const slot = wanted.find(index.ids, index.idOffset(entry));
    if (slot < 0 || wanted.link[slot] !== 0) continue;
    wanted.link[slot] = 1;
    kept[found++] = entry;
  }
  return found === count ? kept : undefined;
}

/**
 * Cuts kept by the entry index they were read from (the one kept in memory with its cached pack,
 * `storage/remembered-indexes.ts`) and the list's raw ids (a remembered pick's, the same buffer
 * each clone: `storage/remembered-picks.ts`): the next `release-1` clone skips the match over the
 * index's 497k ids and the offsets' reads. Each goes with its index or its list.
 */
const cutsByIndex = new WeakMap<Buffer, WeakMap<Buffer, KeptSpans>>();

/** The cut of `listRaw` out of `pack` kept from an earlier clone, else `cut()`'s, then kept. */
function rememberedCut(
  pack: IndexedCachedPack,
  listRaw: Buffer,
  cut: () => KeptSpans | undefined,
): KeptSpans | undefined {
  let cuts = cutsByIndex.get(pack.indexWithChecksum);
  const known = cuts?.get(listRaw);
  if (known && known.packSize === pack.size) return known;
  const kept = cut();
  if (!kept) return undefined;
  if (!cuts) cutsByIndex.set(pack.indexWithChecksum, (cuts = new WeakMap()));
  cuts.set(listRaw, kept);
  return kept;
}

/** Kept entries with where each starts and ends in the cached pack. */
interface KeptSpans {
  /** The cached pack's size the spans were checked against. */
  readonly packSize: number;
  readonly count: number;
  /** Entry numbers, ascending. */
  readonly entries: Uint32Array;
  readonly from: Float64Array;
  /** The next entry's start, or the pack's checksum for the last entry. */
  readonly to: Float64Array;
}

/**
 * The spans of `entries` (ascending), their offsets read from the index; undefined unless each
 * lies after the pack's header, before `end` (its checksum) and after the one before it: an index
 * that does not fit its pack is found before anything is written, and no copy overlaps another.
 */
function keptSpans(
  index: PackEntryIndex,
  entries: Uint32Array,
  packSize: number,
  end: number,
): KeptSpans | undefined {
  const count = entries.length;
  const from = new Float64Array(count);
  const to = new Float64Array(count);
  let previousEnd = PACK_HEADER_LENGTH;
  for (let at = 0; at < count; at++) {
    const entry = entries[at] as number;
    const start = index.offset(entry);
    const stop = entry + 1 < index.count ? index.offset(entry + 1) : end;
    if (start < previousEnd || stop <= start || stop > end) return undefined;
    from[at] = start;
    to[at] = stop;
    previousEnd = stop;
  }
  return { packSize, count, entries, from, to };
}

/** The list's raw ids in a table (only REF deltas and unordered lists need it). */
function idTable(listRaw: Buffer, count: number, rawLength: number): RawIdTable {
  const made = new RawIdTable(rawLength);
  for (let at = 0; at < count; at++) made.slot(listRaw, at * rawLength);
  return made;
}

/**
 * The place among the first `before` kept entries of the one starting exactly at `offset`
 * (binary search over their ascending starts), or -1: a delta's base the cut leaves out.
 */
function keptAt(starts: Float64Array, before: number, offset: number): number {
  let low = 0;
  let high = before - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const start = starts[middle] as number;
    if (start === offset) return middle;
    if (start < offset) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

function entryId(index: PackEntryIndex, entry: number, format: ObjectFormat): ObjectId {
  return objectIdFromRaw(index.ids, index.idOffset(entry), format);
}

/** A delta whose base is left out: its object inflated from storage and deflated whole. */
async function sendWhole(
  writer: PackStream,
  deflater: Deflater,
  objects: ObjectSource,
  id: ObjectId,
): Promise<void> {
  const whole = await objects.readObject(id);
  if (!whole) throw notFound('object_missing', `object ${id} is missing`);
  const deflated = await deflateWhole(deflater, whole.content);
  writer.appendEntryHeader(codeOfObjectType(whole.type), whole.content.length);
  writer.append(deflated);
}

/** Copies `[from, to)` of the cached pack (longer than a window), a window at a time. */
async function copyInPieces(
  writer: PackStream,
  reader: WindowedReader,
  from: number,
  to: number,
): Promise<void> {
  for (let at = from; at < to;) {
    if (!reader.holds(at, at + 1)) await reader.load(at);
    const upTo = Math.min(to, reader.start + reader.window.length);
    writer.appendCopy(reader.window, at - reader.start, upTo - reader.start);
    at = upTo;
    if (writer.backlogged) await writer.drain();
  }
}

/**
 * A window over a file read at rising offsets: one read per window, not per entry, each into the
 * same buffer. Its bytes are copied out (`PackStream.appendCopy`) before the next read: a new
 * 4 MiB buffer per window was ~150 MB of short-lived memory outside V8's heap per `release-1`
 * clone of the `large` bench repository, collected under external memory pressure.
 */
class WindowedReader {
  window: Buffer = Buffer.alloc(0);
  start = 0;
  private buffer: Buffer | undefined;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  holds(from: number, to: number): boolean {
    return from >= this.start && to <= this.start + this.window.length;
  }

  /** Reads the window starting at `from` (the last window's bytes are gone). */
  async load(from: number): Promise<void> {
    const length = Math.min(READ_WINDOW, this.size - from);
    this.buffer ??= Buffer.allocUnsafe(Math.min(READ_WINDOW, this.size));
    const { bytesRead } = await this.file.read(this.buffer, 0, length, from);
    if (bytesRead <= 0) throw damaged(from);
    this.window = this.buffer.subarray(0, bytesRead);
    this.start = from;
  }
}

function damaged(offset: number): MegaError {
  return new MegaError('internal', 'object_corrupt', 'a cached pack ended or changed under its entry index', {
    offset,
  });
}
