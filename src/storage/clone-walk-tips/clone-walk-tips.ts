import { sql, type Kysely } from 'kysely';
import type { ObjectId } from '../../git/object-id.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { batchIds } from '../sql-batches.js';
import { encodeTipBitmap, markTipBitmap, orTipBitmap } from './tip-bitmap.js';

/**
 * Per-tip reachability over a recorded walk's positions (issue 20, item 2): for each ref tip of
 * the refs a walk was recorded for, which of the walk's entries the tip reaches. The walk of
 * any set of those tips is then the recorded walk's entries of the union of their bitmaps, in
 * the recorded order: exactly what a walk of those wants sends, without reading a tree (git's
 * reachability bitmaps do the same over a pack's order). The bitmaps live beside the walk, in
 * the database, and go with it.
 */

/** Tip → its bitmap (bit i: the tip reaches the walk's entry i; `tip-bitmap.ts`). */
export type TipBitmaps = ReadonlyMap<ObjectId, Uint8Array>;

/** Tip → its bitmap as stored (`encodeTipBitmap`), ready to be written. */
export type EncodedTipBitmaps = ReadonlyMap<ObjectId, Buffer>;

/**
 * `tips`' bitmaps over a walk of `count` entries, in their stored form, encoded before the
 * recording's transaction opens: inside it the event loop gets no turn (see `EventLoopTurns`), so
 * a clone streaming beside the recorder stood still while ~120 tips of a 497k-object walk were
 * encoded there (~370 ms at load 7). The event loop gets a turn between tips.
 */
export async function encodeTipBitmaps(tips: TipBitmaps, count: number): Promise<EncodedTipBitmaps> {
  const encoded = new Map<ObjectId, Buffer>();
  for (const [tip, bits] of tips) {
    encoded.set(tip, encodeTipBitmap(bits, count));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return encoded;
}

/** Stores the encoded bitmaps `tips` of the walk `walkId` (inside its recording). */
export async function writeTipBitmaps(
  db: Kysely<Database>,
  walkId: number,
  tips: EncodedTipBitmaps,
): Promise<void> {
  for (const [tip, data] of tips) {
    await db.insertInto('clone_walk_tips').values({ walk_id: walkId, tip, data }).execute();
  }
}

/**
 * What an extension of a walk (`CloneWalkStore.saveExtension`) records of its tips: the base
 * walk's bitmaps of the tips that are still wanted (a tip reaches the same positions in the
 * extended walk, which begins with the base's entries, and none of what was appended), and new
 * bitmaps over the extended walk (a moved ref's new tip: `moved-tip-bitmaps.ts`).
 */
export interface ExtendedTipBitmaps {
  /** Tips whose bitmaps over the base walk carry over (the new walk's wants). */
  readonly kept: readonly ObjectId[];
  /** Bitmaps over the extended walk's positions, by tip. */
  readonly derived: TipBitmaps;
}

/**
 * Copies the bitmaps of the walk `fromWalk` for the tips `tips` to `toWalk`, which begins with
 * `fromWalk`'s entries. Those of other tips (a ref moved or deleted since) are left behind: the
 * extended walk carries bitmaps of its own wants only, so they do not pile up push after push.
 */
export async function copyTipBitmaps(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  fromWalk: number,
  toWalk: number,
  tips: readonly ObjectId[],
): Promise<void> {
  for (const batch of batchIds([...new Set(tips)], capabilities, 1)) {
    await db
      .insertInto('clone_walk_tips')
      .columns(['walk_id', 'tip', 'data'])
      .expression(
        db
          .selectFrom('clone_walk_tips')
          .select([sql.lit(toWalk).as('walk_id'), 'tip', 'data'])
          .where('walk_id', '=', fromWalk)
          .where('tip', 'in', batch),
      )
      .execute();
  }
}

/** The tips the walk `walkId` has a bitmap for. */
export async function tipsWithBitmaps(db: Kysely<Database>, walkId: number): Promise<Set<ObjectId>> {
  const rows = await db.selectFrom('clone_walk_tips').select('tip').where('walk_id', '=', walkId).execute();
  return new Set(rows.map((row) => row.tip as ObjectId));
}

/**
 * ORs the bitmaps of `tips` over the walk `walkId` of `walkCount` entries into `bits`; false
 * when one of them is missing or damaged (`bits` is then partly set).
 */
export async function orTipBitmaps(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  walkId: number,
  walkCount: number,
  tips: readonly ObjectId[],
  bits: Uint8Array,
): Promise<boolean> {
  const distinct = [...new Set(tips)];
  let found = 0;
  for await (const row of tipBitmapRows(db, capabilities, walkId, distinct)) {
    if (!orTipBitmap(row.data, walkCount, bits)) return false;
    found++;
  }
  return found === distinct.length;
}

/** The stored bitmap rows of `tips` (distinct) over the walk `walkId`; tips without one are left out. */
async function* tipBitmapRows(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  walkId: number,
  tips: readonly ObjectId[],
): AsyncGenerator<{ tip: string; data: Uint8Array }> {
  for (const batch of batchIds(tips, capabilities, 1)) {
    yield* await db
      .selectFrom('clone_walk_tips')
      .select(['tip', 'data'])
      .where('walk_id', '=', walkId)
      .where('tip', 'in', batch)
      .execute();
  }
}

/**
 * The bitmaps of `tips` over the walk `walkId` of `walkCount` entries, each as bits (bit i: entry
 * i); undefined when one is missing or damaged.
 */
export async function readTipBitmaps(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  walkId: number,
  walkCount: number,
  tips: readonly ObjectId[],
): Promise<Map<ObjectId, Uint8Array> | undefined> {
  const distinct = [...new Set(tips)];
  const bitmaps = new Map<ObjectId, Uint8Array>();
  for await (const row of tipBitmapRows(db, capabilities, walkId, distinct)) {
    const bits = new Uint8Array(Math.max(1, (walkCount + 7) >> 3));
    if (!orTipBitmap(row.data, walkCount, bits)) return undefined;
    bitmaps.set(row.tip as ObjectId, bits);
  }
  return bitmaps.size === distinct.length ? bitmaps : undefined;
}

/**
 * `bits` (over a walk) reduced to the positions `kept` lists in ascending order: bit k of the
 * answer is bit `kept[k]` of `bits`. A tip's bitmap over a walk of which only those entries are
 * recorded again (`CloneWalkStore.saveSelection`).
 */
export function keptBits(bits: Uint8Array, kept: Int32Array): Uint8Array {
  const out = new Uint8Array(Math.max(1, (kept.length + 7) >> 3));
  for (let k = 0; k < kept.length; k++) {
    const at = kept[k] as number;
    const byte = bits[at >> 3] as number;
    // A byte of clear bits kept whole (most of a tip's bitmap, or most of the walk kept): skipped.
    if (byte === 0 && (at & 7) === 0 && kept[k + 7] === at + 7) {
      k += 7;
      continue;
    }
    if ((byte >> (at & 7)) & 1) out[k >> 3] = (out[k >> 3] as number) | (1 << (k & 7));
  }
  return out;
}

/** The bitmaps of the walks `walkIds` (being deleted). */
export async function deleteTipBitmaps(db: Kysely<Database>, walkIds: readonly number[]): Promise<void> {
  if (walkIds.length === 0) return;
  await db.deleteFrom('clone_walk_tips').where('walk_id', 'in', walkIds).execute();
}

/** A recorded walk and which of its positions a set of tips reaches. */
export interface TipSelection {
  readonly walkId: number;
  readonly objectCount: number;
  /** One byte per position of the walk: 1 when some tip reaches it. */
  readonly selected: Uint8Array;
}

/** The recorded walk `selectTips` reads bitmaps over, as stored now. */
export interface TipWalk {
  readonly walkId: number;
  readonly objectCount: number;
  /**
   * Its key and when it was recorded or last kept: with its id, what tells it from a walk
   * recorded later under a reused id (a walk of the same key holds the same objects).
   */
  readonly walkKey: string;
  readonly createdAt: string;
}

/**
 * The positions `wants` reach in a recorded walk of `repoId` that has a bitmap for every one of
 * them (the newest such walk), or undefined when none has (or its bitmaps are damaged).
 */
export async function selectTips(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  repoId: number,
  wants: readonly ObjectId[],
): Promise<TipSelection | undefined> {
  const walk = await tipWalk(db, capabilities, repoId, wants);
  const selected = walk && (await selectedBy(db, capabilities, walk, wants));
  return walk && selected && { walkId: walk.walkId, objectCount: walk.objectCount, selected };
}

/** The newest recorded walk of `repoId` with a bitmap for every one of `wants`; nothing is decoded. */
export async function tipWalk(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  repoId: number,
  wants: readonly ObjectId[],
): Promise<TipWalk | undefined> {
  const distinct = [...new Set(wants)];
  if (distinct.length === 0) return undefined;
  const tipsByWalk = new Map<number, number>();
  const walks = new Map<number, TipWalk>();
  for (const batch of batchIds(distinct, capabilities, 1)) {
    const rows = await db
      .selectFrom('clone_walk_tips')
      .innerJoin('clone_walks', 'clone_walks.id', 'clone_walk_tips.walk_id')
      .select([
        'clone_walk_tips.walk_id',
        'clone_walks.object_count',
        'clone_walks.walk_key',
        'clone_walks.created_at',
      ])
      .where('clone_walks.repo_id', '=', repoId)
      .where('clone_walk_tips.tip', 'in', batch)
      .execute();
    for (const row of rows) {
      const walkId = Number(row.walk_id);
      tipsByWalk.set(walkId, (tipsByWalk.get(walkId) ?? 0) + 1);
      walks.set(walkId, {
        walkId,
        objectCount: Number(row.object_count),
        walkKey: row.walk_key,
        createdAt: timestampText(row.created_at),
      });
    }
  }
  let walkId: number | undefined;
  for (const [id, tips] of tipsByWalk)
    if (tips === distinct.length && (walkId === undefined || id > walkId)) walkId = id;
  return walkId === undefined ? undefined : walks.get(walkId);
}

/** The positions of `walk` that `wants` reach, from their bitmaps; undefined when one is damaged. */
export async function selectedBy(
  db: Kysely<Database>,
  capabilities: DialectCapabilities,
  walk: TipWalk,
  wants: readonly ObjectId[],
): Promise<Uint8Array | undefined> {
  const selected = new Uint8Array(walk.objectCount);
  for await (const row of tipBitmapRows(db, capabilities, walk.walkId, [...new Set(wants)]))
    if (!markTipBitmap(row.data, walk.objectCount, selected)) return undefined;
  return selected;
}

/** A timestamp column as text (PostgreSQL's driver may hand a `Date`). */
function timestampText(stamp: unknown): string {
  return stamp instanceof Date ? stamp.toISOString() : String(stamp);
}
