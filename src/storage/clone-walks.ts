import { sql, type Kysely } from 'kysely';
import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectType } from '../git/object.js';
import { objectIdFromRaw, type ObjectId } from '../git/object-id.js';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { appendAll } from '../platform/append-all.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { rowOfHint, sizeClassOfHint, storedObjectHint, type StoredObjectHint } from './pack-ready.js';
import { pickKey, RememberedPicks } from './remembered-picks.js';
import { sizeClassOf } from './size-class.js';
import type { WrittenRowKeys } from './object-writer.js';
import { inTransaction } from './transaction.js';
import { batchIds, nowTimestamp } from './sql-batches.js';
import {
  copyTipBitmaps,
  deleteTipBitmaps,
  encodeTipBitmaps,
  keptBits,
  orTipBitmaps,
  readTipBitmaps,
  selectTips,
  selectedBy,
  tipWalk,
  tipsWithBitmaps,
  writeTipBitmaps,
  type ExtendedTipBitmaps,
  type TipBitmaps,
} from './clone-walk-tips/clone-walk-tips.js';

/** One object of a recorded walk, in pack order. */
export interface WalkedEntry {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Where storage keeps it, a faster read than the object id (absent: not known). */
  readonly hint?: StoredObjectHint;
}

/**
 * Walks kept per repository: the newest few ref states and their clone variants. The recorder
 * keeps up to three per ref state (`--mirror`, `git clone`, `--single-branch`): two states.
 */
export const WALKS_KEPT_PER_REPOSITORY = 6;
/** Largest part of an object list, in bytes (well under every database's statement limit). */
const PART_BYTES = 1024 * 1024;
/** Objects without a row key from which `rowKeys` scans the repository's membership instead of looking them up. */
const MEMBERSHIP_SCAN_FROM = 20_000;
/** Membership rows per page of that scan: bounded memory, and the event loop gets turns between pages. */
const MEMBERSHIP_PAGE_ROWS = 50_000;
/** Bytes of an entry's row key (0 = not known). */
const ROW_BYTES = 6;

const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPES_BY_CODE: ReadonlyArray<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];
/**
 * An entry's first byte: the type code in its low three bits, the object's size class
 * (`size-class.ts`, 0: not known) in the five above. Walks recorded before classes have 0 there
 * and are read as before (their blobs' sizes are asked of storage).
 */
const TYPE_BITS = 7;
const SIZE_CLASS_SHIFT = 3;

/** The hint of a record's entry: its row key and size class (undefined without a row key). */
function entryHint(row: number, typeByte: number): StoredObjectHint | undefined {
  return row > 0 ? storedObjectHint(row, typeByte >> SIZE_CLASS_SHIFT) : undefined;
}

/**
 * Recorded full-clone walks (migration 0006): the objects a set of wanted ids reaches, in the
 * order a pack sends them. A clone that finds its walk here skips reading the repository's
 * commits and trees and starts its pack at once. Keys are computed by the caller from the walk's
 * inputs; objects never change, so an entry is valid for as long as it is kept.
 */
export class CloneWalkStore {
  /** Picks of tips' bitmaps over recorded walks (`reachableEntries`), kept a while. */
  private readonly picks = new RememberedPicks<PickedEntries>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /**
   * The recorded walk, or undefined. Damaged rows are deleted (and undefined returned): the
   * caller walks again and records the walk afresh.
   */
  async find(repoId: number, key: string): Promise<WalkedEntry[] | undefined> {
    const stored = await this.storedParts(repoId, key);
    if (!stored) return undefined;
    const entries: WalkedEntry[] = [];
    const intact =
      stored.parts.every((part) => decodePart(part, entries)) && entries.length === stored.objectCount;
    if (intact) return entries;
    await deleteWalks(this.db, [stored.id]);
    return undefined;
  }

  /**
   * The walk of `wants` as the entries of a recorded walk that its tips' bitmaps select
   * (`clone-walk-tips/`), in recorded order; undefined when no walk has a bitmap for every want.
   */
  async reachableFrom(repoId: number, wants: readonly ObjectId[]): Promise<WalkedEntry[] | undefined> {
    return (await this.reachableEntries(repoId, wants))?.objects();
  }

  /** `reachableFrom`'s entries as raw ids, decoded only when asked (`PickedEntries`). */
  async reachableEntries(repoId: number, wants: readonly ObjectId[]): Promise<PickedEntries | undefined> {
    const walk = await tipWalk(this.db, this.capabilities, repoId, wants);
    if (!walk) return undefined;
    // A walk's parts and bitmaps never change under its id: its pick for these wants is kept.
    const key = pickKey(repoId, walk, wants);
    const remembered = this.picks.get(key);
    if (remembered) return remembered.sharing();
    const selected = await selectedBy(this.db, this.capabilities, walk, wants);
    if (!selected) return undefined;
    const parts = await this.partsOf(walk.walkId);
    const picked = pickSelected(parts, walk.objectCount, selected);
    if (picked) this.picks.set(key, picked.sharing());
    return picked;
  }

  /** Whether a walk is recorded under `key` (nothing of it is read). */
  async has(repoId: number, key: string): Promise<boolean> {
    const walk = await this.db
      .selectFrom('clone_walks')
      .select('id')
      .where('repo_id', '=', repoId)
      .where('walk_key', '=', key)
      .executeTakeFirst();
    return walk !== undefined;
  }

  /**
   * Whether a walk is recorded under `key`; if so it counts as recorded now, so the oldest
   * dropped beyond WALKS_KEPT_PER_REPOSITORY are walks no longer likely (the recorder keeps the
   * default branch's walk while pushes to other branches record new ones).
   */
  async keep(repoId: number, key: string): Promise<boolean> {
    const updated = await this.db
      .updateTable('clone_walks')
      .set({ created_at: nowTimestamp() })
      .where('repo_id', '=', repoId)
      .where('walk_key', '=', key)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  }

  /**
   * The recorded walk's bytes, not decoded (a walk of a 500k-object repository decodes into
   * half a million objects, a second of work and ~100 MB): what extending it after a push needs.
   * Undefined when absent or when its parts do not add up to its count.
   */
  async findBytes(repoId: number, key: string): Promise<RecordedWalkBytes | undefined> {
    const stored = await this.storedParts(repoId, key);
    if (!stored) return undefined;
    const bytes = new RecordedWalkBytes(stored.id, stored.objectCount, stored.parts);
    return bytes.intact() ? bytes : undefined;
  }

  /** The walk recorded under `key`: its row id, object count and parts in order. */
  private async storedParts(
    repoId: number,
    key: string,
  ): Promise<{ id: number; objectCount: number; parts: readonly Buffer[] } | undefined> {
    const walk = await this.db
      .selectFrom('clone_walks')
      .select(['id', 'object_count'])
      .where('repo_id', '=', repoId)
      .where('walk_key', '=', key)
      .executeTakeFirst();
    if (!walk) return undefined;
    return {
      id: Number(walk.id),
      objectCount: Number(walk.object_count),
      parts: await this.partsOf(walk.id),
    };
  }

  /** The parts of the walk `walkId`, in order. */
  private async partsOf(walkId: number): Promise<readonly Buffer[]> {
    const parts = await this.db
      .selectFrom('clone_walk_parts')
      .select('data')
      .where('walk_id', '=', walkId)
      .orderBy('seq')
      .execute();
    return parts.map((part) => part.data);
  }

  /**
   * Records a walk (a no-op when the key is already recorded, e.g. by a racing clone) and drops
   * the repository's oldest walks beyond WALKS_KEPT_PER_REPOSITORY (recorded or kept longest ago).
   * `tips`: bitmaps over `entries`' positions, recorded with them (never beside a walk recorded
   * by someone else, whose order may differ).
   */
  async save(repoId: number, key: string, entries: readonly WalkedEntry[], tips?: TipBitmaps): Promise<void> {
    const parts = await encodeParts(entries, await this.rowKeys(repoId, entries));
    const encodedTips = tips && (await encodeTipBitmaps(tips, entries.length));
    await this.record(repoId, key, entries.length, async (trx, id) => {
      await writeParts(trx, id, parts);
      if (encodedTips) await writeTipBitmaps(trx, id, encodedTips);
      return true;
    });
  }

  /**
   * `entries` with the row key of each the repository holds (`hint`): the form a waiting clone
   * reads fastest (by key, not by object id and membership: a third of the statement time), and
   * that `save` then records without looking anything up.
   */
  async withRowKeys(repoId: number, entries: readonly WalkedEntry[]): Promise<readonly WalkedEntry[]> {
    const keys = await this.rowKeys(repoId, entries);
    // Every entry carries its key already (a walk of the push's graph), or none is held.
    if (keys.size === 0) return entries;
    return entries.map((entry) => {
      const hint = entry.hint === undefined ? keys.get(entry.id) : undefined;
      return hint === undefined ? entry : { id: entry.id, type: entry.type, hint };
    });
  }

  /** The tips the walk `walkId` has a bitmap for (`clone-walk-tips/`). */
  async bitmapTips(walkId: number): Promise<Set<ObjectId>> {
    return tipsWithBitmaps(this.db, walkId);
  }

  /**
   * ORs the bitmaps of `tips` over the walk `walkId` of `walkCount` entries into `bits`; false
   * when one is missing or damaged.
   */
  async orTipBitmaps(
    walkId: number,
    walkCount: number,
    tips: readonly ObjectId[],
    bits: Uint8Array,
  ): Promise<boolean> {
    return orTipBitmaps(this.db, this.capabilities, walkId, walkCount, tips, bits);
  }

  /**
   * Records under `key` the walk `base` followed by `appended`: `base`'s parts are copied inside
   * the database, never decoded. False (nothing recorded) when `base` was dropped meanwhile.
   * `tips`: the base's bitmaps to carry over and new ones over the extended walk, in the same
   * transaction (`ExtendedTipBitmaps`).
   */
  async saveExtension(
    repoId: number,
    key: string,
    base: RecordedWalkBytes,
    appended: readonly WalkedEntry[],
    tips: ExtendedTipBitmaps,
  ): Promise<boolean> {
    if (appended.some((entry) => entry.id.length !== base.rawLength * 2)) {
      throw new MegaError('internal', 'clone_walk_mixed_ids', 'a walk mixes object id formats');
    }
    const parts = await encodeParts(appended, await this.rowKeys(repoId, appended));
    const count = base.objectCount + appended.length;
    const derived = await encodeTipBitmaps(tips.derived, count);
    return this.record(repoId, key, count, async (trx, id) => {
      const copied = await trx
        .insertInto('clone_walk_parts')
        .columns(['walk_id', 'seq', 'data'])
        .expression(
          trx
            .selectFrom('clone_walk_parts')
            .select([sql.lit(id).as('walk_id'), 'seq', 'data'])
            .where('walk_id', '=', base.walkId),
        )
        .executeTakeFirst();
      if (Number(copied.numInsertedOrUpdatedRows ?? 0) !== base.partCount) return false;
      await writeParts(trx, id, parts, base.partCount);
      const kept = tips.kept.filter((tip) => !tips.derived.has(tip));
      await copyTipBitmaps(trx, this.capabilities, base.walkId, id, kept);
      await writeTipBitmaps(trx, id, derived);
      return true;
    });
  }

  /**
   * Records under `key` the entries of `base` followed by `appended` that `selected` marks (bit
   * i: entry i of that sequence), in that order, copied as stored (row keys, size classes): the
   * walk of refs that no longer reach everything `base` holds (a branch deleted before its merge,
   * a ref rebased or rewound), selected by its tips' bitmaps instead of walked again. `tips`: the
   * bitmaps it carries, as `saveExtension`'s (`kept` read from `base`, `derived` over `base` and
   * `appended`), each reduced to the selected positions. False (nothing recorded) when a kept
   * bitmap is missing or damaged.
   */
  async saveSelection(
    repoId: number,
    key: string,
    base: RecordedWalkBytes,
    appended: readonly WalkedEntry[],
    selected: Uint8Array,
    tips: ExtendedTipBitmaps,
  ): Promise<boolean> {
    const total = base.objectCount + appended.length;
    const isSelected = (at: number) => (((selected[at >> 3] as number) >> (at & 7)) & 1) === 1;
    const kept = selectedPositions(isSelected, total);
    const chosen = appended.filter((_, index) => isSelected(base.objectCount + index));
    const parts = base.selectedParts(isSelected);
    appendAll(parts, await encodeParts(chosen, await this.rowKeys(repoId, chosen)));
    const carried = tips.kept.filter((tip) => !tips.derived.has(tip));
    const bitmaps = await readTipBitmaps(this.db, this.capabilities, base.walkId, base.objectCount, carried);
    if (!bitmaps) return false;
    for (const [tip, bits] of tips.derived) bitmaps.set(tip, bits);
    const reduced = new Map<ObjectId, Uint8Array>();
    for (const [tip, bits] of bitmaps) reduced.set(tip, keptBits(bits, kept));
    const encoded = await encodeTipBitmaps(reduced, kept.length);
    return this.record(repoId, key, kept.length, async (trx, id) => {
      await writeParts(trx, id, parts);
      await writeTipBitmaps(trx, id, encoded);
      return true;
    });
  }

  /**
   * Records under `key` the walk of `wants` as the entries of a recorded walk their tips'
   * bitmaps select (`reachableFrom`), copied as stored, without bitmaps of its own (that walk
   * keeps them): the default branch's walk after the refs were selected (`saveSelection`). False
   * when no recorded walk has a bitmap for every want.
   */
  async saveFromTips(repoId: number, key: string, wants: readonly ObjectId[]): Promise<boolean> {
    const selection = await selectTips(this.db, this.capabilities, repoId, wants);
    if (!selection) return false;
    const base = new RecordedWalkBytes(
      selection.walkId,
      selection.objectCount,
      await this.partsOf(selection.walkId),
    );
    if (!base.intact()) return false;
    const { selected } = selection;
    const parts = base.selectedParts((at) => selected[at] === 1);
    let count = 0;
    for (const flag of selected) count += flag;
    return this.record(repoId, key, count, async (trx, id) => {
      await writeParts(trx, id, parts);
      return true;
    });
  }

  /**
   * One walk row of `objectCount` objects with the parts `writeParts` adds, and the oldest walks
   * beyond WALKS_KEPT_PER_REPOSITORY dropped, in one transaction (undone when `writeParts` says
   * false). A key recorded already (a racing clone) is kept as it is: true.
   */
  private async record(
    repoId: number,
    key: string,
    objectCount: number,
    writeParts: (trx: Kysely<Database>, walkId: number) => Promise<boolean>,
  ): Promise<boolean> {
    try {
      await inTransaction(this.db, async (trx) => {
        await trx
          .insertInto('clone_walks')
          .values({ repo_id: repoId, walk_key: key, object_count: objectCount, created_at: nowTimestamp() })
          .execute();
        const { id } = await trx
          .selectFrom('clone_walks')
          .select('id')
          .where('repo_id', '=', repoId)
          .where('walk_key', '=', key)
          .executeTakeFirstOrThrow();
        if (!(await writeParts(trx, Number(id)))) throw new BaseWalkGone();
        const stale = await trx
          .selectFrom('clone_walks')
          .select('id')
          .where('repo_id', '=', repoId)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .offset(WALKS_KEPT_PER_REPOSITORY)
          .limit(1_000_000)
          .execute();
        await deleteWalks(
          trx,
          stale.map((row) => row.id),
        );
      });
      return true;
    } catch (error) {
      if (error instanceof BaseWalkGone) return false;
      if (this.capabilities.isUniqueViolation(error)) return true;
      throw error;
    }
  }

  /**
   * The hint (`raw_objects.id` and size class) of the entries that do not carry theirs (those
   * the repository holds). A whole repository's walk (the recorder's after a first push) reads
   * them all by scanning the repository's membership in key order: looking 497k ids up in `IN`
   * lists cost ~2.5 s of statements built, prepared and probed one id at a time, the scan a
   * third of that.
   */
  private async rowKeys(
    repoId: number,
    entries: readonly WalkedEntry[],
  ): Promise<Map<string, StoredObjectHint>> {
    const ids = entries.filter((entry) => entry.hint === undefined).map((entry) => entry.id);
    const keys = new Map<string, StoredObjectHint>();
    const keep = (gitId: ObjectId, row: number, size: number) =>
      keys.set(gitId, storedObjectHint(row, sizeClassOf(size)));
    if (ids.length >= MEMBERSHIP_SCAN_FROM) await this.scanMemberRows(repoId, keep);
    else await this.memberRowsOf(repoId, ids, keep);
    return keys;
  }

  /**
   * Where storage keeps each of `graph`'s objects that the repository holds, by graph number:
   * the recorder's hints for a first push's walks (`graphWalkObjects`), given as each walk is
   * listed. First from `written`, the row keys the push's own inserts got (SQLite): no statement
   * at all (the membership scan and its join to `raw_objects` took ~1 s of CPU at 497k objects).
   * The objects it did not insert (stored before for another repository, or every one where the
   * database does not tell row keys) are looked up by id when few, else by one membership scan,
   * each row's id found in the graph's index of raw ids.
   */
  async graphRowKeys(
    repoId: number,
    graph: ObjectGraph,
    written?: WrittenRowKeys,
  ): Promise<(number: number) => StoredObjectHint | undefined> {
    // Each object's hint (row key and size class; 0: none), by graph number.
    const rows = new Float64Array(graph.size);
    // Apart, so the hints returned keep no reference to `written` (the write's id set, ~20 MB).
    const missing = written ? takeWrittenRowKeys(graph, written, rows) : graph.size;
    const keep = (gitId: ObjectId, row: number, size: number) => {
      const number = graph.find(gitId);
      if (number >= 0 && rows[number] === 0) rows[number] = storedObjectHint(row, sizeClassOf(size));
    };
    if (missing >= MEMBERSHIP_SCAN_FROM) {
      await this.scanMemberRows(repoId, keep);
    } else if (missing > 0) {
      const ids: ObjectId[] = [];
      for (let number = 0; number < rows.length; number++)
        if (rows[number] === 0) ids.push(graph.idAt(number));
      await this.memberRowsOf(repoId, ids, keep);
    }
    return (number) => {
      const hint = rows[number];
      return hint ? (hint as StoredObjectHint) : undefined;
    };
  }

  /**
   * Calls `visit` with the object id, `raw_objects.id` and size of those of `ids` the repository
   * holds.
   */
  private async memberRowsOf(
    repoId: number,
    ids: readonly ObjectId[],
    visit: (gitId: ObjectId, row: number, size: number) => void,
  ): Promise<void> {
    for (const batch of batchIds(ids, this.capabilities)) {
      const rows = await this.db
        .selectFrom('raw_objects')
        .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
        .select(['raw_objects.id', 'raw_objects.git_id', 'raw_objects.size'])
        .where('repository_objects.repo_id', '=', repoId)
        .where('raw_objects.git_id', 'in', batch)
        .execute();
      for (const row of rows) visit(row.git_id as ObjectId, Number(row.id), Number(row.size));
    }
  }

  /** Calls `visit` with the object id, `raw_objects.id` and size of every object the repository holds. */
  private async scanMemberRows(
    repoId: number,
    visit: (gitId: ObjectId, row: number, size: number) => void,
  ): Promise<void> {
    for (let after = ''; ;) {
      const rows = await this.db
        .selectFrom('repository_objects')
        .innerJoin('raw_objects', 'raw_objects.git_id', 'repository_objects.git_id')
        .select(['raw_objects.id', 'repository_objects.git_id', 'raw_objects.size'])
        .where('repository_objects.repo_id', '=', repoId)
        .where('repository_objects.git_id', '>', after)
        .orderBy('repository_objects.git_id')
        .limit(MEMBERSHIP_PAGE_ROWS)
        .execute();
      for (const row of rows) visit(row.git_id as ObjectId, Number(row.id), Number(row.size));
      const last = rows[rows.length - 1];
      if (!last || rows.length < MEMBERSHIP_PAGE_ROWS) return;
      after = last.git_id;
    }
  }

  /** Every walk of a repository (it is being deleted). */
  async deleteRepository(repoId: number): Promise<void> {
    const walks = await this.db
      .selectFrom('clone_walks')
      .select('id')
      .where('repo_id', '=', repoId)
      .execute();
    await deleteWalks(
      this.db,
      walks.map((row) => row.id),
    );
  }
}

/** Fills `rows` (hints by graph number) from the keys a write told; the number of objects left without. */
function takeWrittenRowKeys(graph: ObjectGraph, written: WrittenRowKeys, rows: Float64Array): number {
  let missing = 0;
  graph.forEachRawId((number, data, offset) => {
    const row = written.rowKeyOf(data, offset);
    if (row > 0) rows[number] = storedObjectHint(row, written.sizeClassOf(data, offset));
    else missing++;
  });
  return missing;
}

async function deleteWalks(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await deleteTipBitmaps(db, ids);
  await db.deleteFrom('clone_walk_parts').where('walk_id', 'in', ids).execute();
  await db.deleteFrom('clone_walks').where('id', 'in', ids).execute();
}

/**
 * Parts of at most PART_BYTES: one byte giving the raw id length (20 for SHA-1, 32 for SHA-256),
 * then `[type code | size class << 3][raw id][row key, 6 bytes big-endian]` per object.
 */
async function encodeParts(
  entries: readonly WalkedEntry[],
  rowKeys: ReadonlyMap<string, StoredObjectHint>,
): Promise<Buffer[]> {
  const idBytes = entries.length > 0 ? (entries[0] as WalkedEntry).id.length / 2 : SHA1.rawLength;
  const entryBytes = 1 + idBytes + ROW_BYTES;
  const perPart = Math.floor((PART_BYTES - 1) / entryBytes);
  const parts: Buffer[] = [];
  for (let start = 0; start < entries.length; start += perPart) {
    const slice = entries.slice(start, start + perPart);
    const part = Buffer.allocUnsafe(1 + slice.length * entryBytes);
    part[0] = idBytes;
    let offset = 1;
    for (const entry of slice) {
      if (entry.id.length !== idBytes * 2) {
        throw new MegaError('internal', 'clone_walk_mixed_ids', 'a walk mixes object id formats');
      }
      const hint = entry.hint ?? rowKeys.get(entry.id);
      const sizeClass = hint === undefined ? 0 : sizeClassOfHint(hint);
      part[offset] = TYPE_CODES[entry.type] | (sizeClass << SIZE_CLASS_SHIFT);
      part.write(entry.id, offset + 1, idBytes, 'hex');
      part.writeUIntBE(hint === undefined ? 0 : rowOfHint(hint), offset + 1 + idBytes, ROW_BYTES);
      offset += entryBytes;
    }
    parts.push(part);
    // A clone streaming beside the recorder gets a turn between parts (a 497k-object walk is
    // 13 parts, ~200 ms of encoding at load 7).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return parts;
}

/** Appends a part's entries to `into`; false when the part is malformed. */
function decodePart(part: Buffer, into: WalkedEntry[]): boolean {
  const format: ObjectFormat | undefined = [SHA1, SHA256].find((f) => f.rawLength === part[0]);
  if (!format) return false;
  const entryBytes = 1 + format.rawLength + ROW_BYTES;
  if ((part.length - 1) % entryBytes !== 0) return false;
  for (let offset = 1; offset < part.length; offset += entryBytes) {
    const typeByte = part[offset] as number;
    const type = TYPES_BY_CODE[typeByte & TYPE_BITS];
    if (!type) return false;
    const id = objectIdFromRaw(part, offset + 1, format);
    const hint = entryHint(part.readUIntBE(offset + 1 + format.rawLength, ROW_BYTES), typeByte);
    into.push(hint === undefined ? { id, type } : { id, type, hint });
  }
  return true;
}

/**
 * The entries of a walk of `count` entries at the positions `selected` marks, in order, as raw
 * ids (nothing decoded). Undefined when a part is malformed or the parts do not add up to `count`.
 */
function pickSelected(
  parts: readonly Buffer[],
  count: number,
  selected: Uint8Array,
): PickedEntries | undefined {
  const rawLength = parts[0]?.[0] ?? SHA1.rawLength;
  if (rawLength !== SHA1.rawLength && rawLength !== SHA256.rawLength) return undefined;
  const entryBytes = 1 + rawLength + ROW_BYTES;
  let kept = 0;
  for (let position = 0; position < count && position < selected.length; position++) {
    if (selected[position]) kept++;
  }
  const picked = new PickedEntries(rawLength, kept);
  let position = 0;
  for (const part of parts) {
    if (part[0] !== rawLength || (part.length - 1) % entryBytes !== 0) return undefined;
    for (let offset = 1; offset < part.length; offset += entryBytes, position++) {
      if (!selected[position]) continue;
      const typeByte = part[offset] as number;
      if (!TYPES_BY_CODE[typeByte & TYPE_BITS] || picked.count === kept) return undefined;
      picked.add(part, offset, part.readUIntBE(offset + 1 + rawLength, ROW_BYTES));
    }
  }
  return position === count && picked.count === kept ? picked : undefined;
}

/**
 * Entries of a recorded walk picked without decoding them (`WalkList` in `served-repository.ts`):
 * their raw ids one after another, type bytes and row keys. A pack cut out of a cached full pack
 * needs only the raw ids; sending from storage decodes them (`objects`) as `pick` would have.
 * Decoding 356k entries into objects with hex ids (a `blob:limit` clone of the 497k-object bench
 * repository) came before that clone's pack's first byte, with its garbage.
 */
export class PickedEntries {
  count = 0;
  private readonly ids: Buffer;
  private readonly typeBytes: Uint8Array;
  private readonly rows: Float64Array;
  private decoded: WalkedEntry[] | undefined;
  /** `rawIds()`'s view, the same object each time (a cut out of a cached pack is kept by it). */
  private idsView: Buffer | undefined;

  /** Room for `capacity` entries: the most the picking can keep. */
  constructor(
    readonly rawLength: number,
    capacity: number,
  ) {
    this.ids = Buffer.allocUnsafe(capacity * rawLength);
    this.typeBytes = new Uint8Array(capacity);
    this.rows = new Float64Array(capacity);
  }

  /**
   * Another list of the same entries sharing their columns (none is added to after picking), its
   * decoded objects its own: a remembered pick (`RememberedPicks`) hands one per clone, so one
   * clone's decoding is not held for the next.
   */
  sharing(): PickedEntries {
    const copy = Object.create(PickedEntries.prototype) as PickedEntries;
    Object.assign(copy, this, { decoded: undefined, idsView: this.rawIds() });
    return copy;
  }

  /** Bytes the columns take (what remembering them costs). */
  get byteLength(): number {
    return this.ids.length + this.typeBytes.byteLength + this.rows.byteLength;
  }

  /** Adds the stored entry at `data[offset…]` (its type byte, then its raw id), its row key `row`. */
  add(data: Uint8Array, offset: number, row: number): void {
    const at = this.count;
    const ids = this.ids;
    const raw = this.rawLength;
    const to = at * raw;
    const from = offset + 1;
    for (let i = 0; i < raw; i++) ids[to + i] = data[from + i] as number;
    this.typeBytes[at] = data[offset] as number;
    this.rows[at] = row;
    this.count = at + 1;
  }

  rawIds(): Buffer {
    return (this.idsView ??= this.ids.subarray(0, this.count * this.rawLength));
  }

  objects(): WalkedEntry[] {
    if (this.decoded) return this.decoded;
    const format = this.rawLength === SHA256.rawLength ? SHA256 : SHA1;
    const entries: WalkedEntry[] = new Array<WalkedEntry>(this.count);
    for (let at = 0; at < this.count; at++) {
      const typeByte = this.typeBytes[at] as number;
      const type = TYPES_BY_CODE[typeByte & TYPE_BITS] as ObjectType;
      const id = objectIdFromRaw(this.ids, at * this.rawLength, format);
      const hint = entryHint(this.rows[at] as number, typeByte);
      entries[at] = hint === undefined ? { id, type } : { id, type, hint };
    }
    this.decoded = entries;
    return entries;
  }

  /** Those of `ids` among the picked entries: one pass over the raw ids, by their first four bytes. */
  among(ids: readonly ObjectId[]): Set<ObjectId> {
    const asked = new Set(ids.filter((id) => id.length === this.rawLength * 2));
    const prefixes = new Set([...asked].map((id) => Number.parseInt(id.slice(0, 8), 16)));
    const found = new Set<ObjectId>();
    const raw = this.rawLength;
    for (let at = 0; at < this.count && prefixes.size > 0; at++) {
      if (!prefixes.has(this.ids.readUInt32BE(at * raw))) continue;
      const id = objectIdFromRaw(this.ids, at * raw, raw === SHA256.rawLength ? SHA256 : SHA1);
      if (asked.has(id)) found.add(id);
    }
    return found;
  }
}

/** Writes `parts` as the walk `walkId`'s parts numbered from `firstSeq` on. */
async function writeParts(
  trx: Kysely<Database>,
  walkId: number,
  parts: readonly Buffer[],
  firstSeq = 0,
): Promise<void> {
  for (const [index, data] of parts.entries()) {
    await trx
      .insertInto('clone_walk_parts')
      .values({ walk_id: walkId, seq: firstSeq + index, data })
      .execute();
  }
}

/** The positions below `count` that `isSelected` marks, ascending. */
function selectedPositions(isSelected: (at: number) => boolean, count: number): Int32Array {
  let selected = 0;
  for (let at = 0; at < count; at++) if (isSelected(at)) selected++;
  const positions = new Int32Array(selected);
  for (let at = 0, k = 0; at < count; at++) if (isSelected(at)) positions[k++] = at;
  return positions;
}

/** Thrown inside `record`'s transaction to undo it: the walk being extended is gone. */
class BaseWalkGone extends Error {}

/**
 * Chooses recorded entries by their type, raw id at `data[offset…]`, row key (0: none) and size
 * class (0: not known), without decoding them (`RecordedWalkBytes.pick`).
 */
export type EntryFilter = (
  type: ObjectType,
  data: Uint8Array,
  offset: number,
  row: number,
  sizeClass: number,
) => boolean;

/**
 * A recorded walk as stored (`findBytes`): its parts, read but not decoded. Answers whether ids
 * are in it by scanning the bytes, so extending a walk of half a million objects by a push of a
 * few costs a pass over 13 MB, not half a million objects built and hashed.
 */
export class RecordedWalkBytes {
  /** Raw id length of every part (20 for SHA-1, 32 for SHA-256). */
  readonly rawLength: number;

  constructor(
    readonly walkId: number,
    readonly objectCount: number,
    private readonly parts: readonly Buffer[],
  ) {
    this.rawLength = parts[0]?.[0] ?? SHA1.rawLength;
  }

  get partCount(): number {
    return this.parts.length;
  }

  /** Every part of one id format, of whole entries, adding up to the recorded count. */
  intact(): boolean {
    if (this.rawLength !== SHA1.rawLength && this.rawLength !== SHA256.rawLength) return false;
    const entryBytes = 1 + this.rawLength + ROW_BYTES;
    let entries = 0;
    for (const part of this.parts) {
      if (part[0] !== this.rawLength || (part.length - 1) % entryBytes !== 0) return false;
      entries += (part.length - 1) / entryBytes;
    }
    return entries === this.objectCount;
  }

  /** `pick`'s entries (below) copied as raw ids, not decoded (`PickedEntries`). */
  pickEntries(keep: EntryFilter): PickedEntries | undefined {
    const entryBytes = 1 + this.rawLength + ROW_BYTES;
    let entries = 0;
    for (const part of this.parts) entries += Math.floor((part.length - 1) / entryBytes);
    const picked = new PickedEntries(this.rawLength, entries);
    return this.eachKept(keep, (part, offset, row) => picked.add(part, offset, row)) ? picked : undefined;
  }

  /**
   * The entries `keep` picks, decoded, in the walk's order: it is shown each entry's type, its
   * raw id at `data[offset…]` (`rawLength` bytes), its row key (0: none) and its size class
   * (`size-class.ts`; 0: not known), so what it drops is never decoded (a partial clone keeps
   * 24k of a 497k-object walk: `record-views.ts`). Undefined when an entry's type code is
   * unknown (damage `intact` does not see; `find` then deletes the walk).
   */
  pick(keep: EntryFilter): WalkedEntry[] | undefined {
    const format = this.rawLength === SHA256.rawLength ? SHA256 : SHA1;
    const picked: WalkedEntry[] = [];
    const kept = this.eachKept(keep, (part, offset, row, type) => {
      const id = objectIdFromRaw(part, offset + 1, format);
      const hint = entryHint(row, part[offset] as number);
      picked.push(hint === undefined ? { id, type } : { id, type, hint });
    });
    return kept ? picked : undefined;
  }

  /**
   * Calls `visit` with each entry `keep` keeps (its type byte at `part[offset]`, then its raw id),
   * in the walk's order; false when an entry's type code is unknown.
   */
  private eachKept(
    keep: EntryFilter,
    visit: (part: Buffer, offset: number, row: number, type: ObjectType) => void,
  ): boolean {
    const entryBytes = 1 + this.rawLength + ROW_BYTES;
    for (const part of this.parts) {
      for (let offset = 1; offset < part.length; offset += entryBytes) {
        const typeByte = part[offset] as number;
        const type = TYPES_BY_CODE[typeByte & TYPE_BITS];
        if (!type) return false;
        const row = part.readUIntBE(offset + 1 + this.rawLength, ROW_BYTES);
        if (keep(type, part, offset + 1, row, row > 0 ? typeByte >> SIZE_CLASS_SHIFT : 0)) {
          visit(part, offset, row, type);
        }
      }
    }
    return true;
  }

  /**
   * The parts of a walk of the entries at the positions `isSelected` marks (of this walk's
   * first `objectCount`), their bytes copied as they are, in order; a part left empty is left out.
   */
  selectedParts(isSelected: (position: number) => boolean): Buffer[] {
    const entryBytes = 1 + this.rawLength + ROW_BYTES;
    const selected: Buffer[] = [];
    let position = 0;
    for (const part of this.parts) {
      const entries = (part.length - 1) / entryBytes;
      const copy = Buffer.allocUnsafe(part.length);
      copy[0] = this.rawLength;
      let length = 1;
      for (let index = 0; index < entries; index++, position++) {
        if (!isSelected(position)) continue;
        const start = 1 + index * entryBytes;
        part.copy(copy, length, start, start + entryBytes);
        length += entryBytes;
      }
      if (length > 1) selected.push(copy.subarray(0, length));
    }
    return selected;
  }

  /** Those of `ids` the walk holds: one pass over its bytes, comparing ids by their first four bytes. */
  among(ids: readonly ObjectId[]): Set<ObjectId> {
    return new Set(this.positions(ids).keys());
  }

  /**
   * The position (0-based, in the walk's order) of each of `ids` the walk holds: the same pass
   * as `among`. Memory follows `ids`, not the walk.
   */
  positions(ids: readonly ObjectId[]): Map<ObjectId, number> {
    const found = new Map<ObjectId, number>();
    const byPrefix = new Map<number, ObjectId[]>();
    for (const id of ids) {
      if (id.length !== this.rawLength * 2) continue;
      const prefix = Number.parseInt(id.slice(0, 8), 16);
      const list = byPrefix.get(prefix);
      if (list) list.push(id);
      else byPrefix.set(prefix, [id]);
    }
    if (byPrefix.size === 0) return found;
    const entryBytes = 1 + this.rawLength + ROW_BYTES;
    let position = 0;
    for (const part of this.parts) {
      for (let offset = 1; offset < part.length; offset += entryBytes, position++) {
        const candidates = byPrefix.get(part.readUInt32BE(offset + 1));
        if (!candidates) continue;
        const id = part.toString('hex', offset + 1, offset + 1 + this.rawLength);
        if (candidates.includes(id as ObjectId)) found.set(id as ObjectId, position);
      }
    }
    return found;
  }
}
