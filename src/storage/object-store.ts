import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import zlib from 'node:zlib';
import type { Kysely } from 'kysely';
import { applyDelta } from '../git/delta.js';
import type { ObjectType } from '../git/object.js';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { TAG_HEAD_BYTES, tagHeadTarget } from '../git/tag.js';
import { MegaError, notFound } from '../platform/errors.js';
import type { Database } from './database.js';
import type { MegaDatabase } from './open-database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import {
  rowOfHint,
  sizeClassOfHint,
  storedObjectHint,
  type PackReadyObject,
  type StoredObjectHint,
} from './pack-ready.js';
import { sizeClassAtLeast, sizeClassOf } from './size-class.js';
import { PayloadInflater } from './payload-inflater.js';
import { ReadCache } from './read-cache.js';
import { ObjectChunks } from './object-chunks.js';
import { batchIds } from './sql-batches.js';
import { ConcatenatedRows, concatenatedRowsSql } from './concatenated-rows.js';
import { storedId, storedIds } from './stored-id.js';

/** Inflated delta bases kept for reads (git's delta_base_cache_limit idea). */
const READ_CACHE_BYTES = 32 * 1024 * 1024;
/** A stored chain is at most MAX_STORED_DELTA_DEPTH long; anything deeper is corruption. */
const MAX_READ_CHAIN = 1000;
/** Tags pointing at tags: git stops peeling eventually too. */
const MAX_PEEL_DEPTH = 32;
/** Largest IN list for one batch of reads, whatever the caller asks. */
const MAX_BATCH = 5000;
/** Rows up to this size are inflated whole for `openContent`: a stream costs more than it saves. */
const WHOLE_CONTENT_BYTES = 64 * 1024;
/**
 * Longest stored row read back concatenated with others (`packReadyByKey`): a statement's blob
 * then holds at most 1,000 times this. Longer rows (rare: deltas and trees are small, large
 * objects are in chunks) are read one by one.
 */
const CONCATENATED_ROW_BYTES = 16 * 1024;
/** Bytes of a tag read to find what it names: its `object` and `type` lines come first. */

/** A `raw_objects` row as read (ids come back branded: they were checked before they were written). */
interface StoredRow {
  git_id: ObjectId;
  object_type: ObjectType;
  size: number;
  payload_size: number;
  delta_base: ObjectId | null;
  storage_type: string;
  data: Buffer | null;
  id: number;
}

const ROW_COLUMNS = [
  'raw_objects.git_id',
  'raw_objects.object_type',
  'raw_objects.size',
  'raw_objects.payload_size',
  'raw_objects.delta_base',
  'raw_objects.storage_type',
  'raw_objects.data',
  'raw_objects.id',
] as const;

/** IN-list sizes of the prepared row reads (see `preparedRows`). */
const PREPARED_IN_SIZES = [1, 16, 128, 1000];

/** A raw row of ROW_COLUMNS, in that order, as a StoredRow. */
function storedRowOf(values: unknown[]): StoredRow {
  const [git_id, object_type, size, payload_size, delta_base, storage_type, data, id] = values;
  return { git_id, object_type, size, payload_size, delta_base, storage_type, data, id } as StoredRow;
}

const placeholders = (size: number) => new Array(size).fill('?').join(', ');

/** The query of `memberRows` (same columns, same membership rule) with `size` ids. */
function preparedRowsSql(size: number): string {
  return (
    `select ${ROW_COLUMNS.join(', ')} from raw_objects ` +
    'inner join repository_objects on repository_objects.git_id = raw_objects.git_id ' +
    `where repository_objects.repo_id = ? and raw_objects.git_id in (${placeholders(size)})`
  );
}

/** The query of `baseRows` (same columns, no membership: delta bases) with `size` ids. */
function preparedBaseRowsSql(size: number): string {
  return `select ${ROW_COLUMNS.join(', ')} from raw_objects where raw_objects.git_id in (${placeholders(size)})`;
}

/** The query of `packReadyByKey` with `size` row keys. */
function preparedPackReadySql(size: number): string {
  return (
    'select id, git_id, object_type, size, payload_size, delta_base, storage_type, data ' +
    `from raw_objects where id in (${placeholders(size)})`
  );
}

/** The query of `rowsByKey` with `size` row keys. */
function preparedRowsByKeySql(size: number): string {
  return `select ${ROW_COLUMNS.join(', ')} from raw_objects where raw_objects.id in (${placeholders(size)})`;
}

/**
 * Reads objects of one repository at a time: an object is visible to a repository only through
 * its `repository_objects` membership, even if another repository stored the same bytes.
 */
export class ObjectStore {
  private readonly cache = new ReadCache(READ_CACHE_BYTES);
  private readonly inflater = new PayloadInflater();
  private readonly chunks: ObjectChunks;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    /** SQLite's prepared raw-row reads (`MegaDatabase.runPreparedQuery`); Kysely otherwise. */
    private readonly runPreparedQuery?: MegaDatabase['runPreparedQuery'],
  ) {
    this.chunks = new ObjectChunks(db, capabilities);
  }

  /** Which of `ids` the repository holds. Malformed ids are simply absent. */
  async has(repoId: number, ids: readonly string[]): Promise<Set<ObjectId>> {
    const found = new Set<ObjectId>();
    const wanted = [...new Set(ids.filter(isHexId))];
    for (const batch of batchIds(wanted, this.capabilities, 1)) {
      const rows = await this.db
        .selectFrom('repository_objects')
        .select('git_id')
        .where('repo_id', '=', repoId)
        .where('git_id', 'in', batch)
        .execute();
      for (const row of rows) found.add(storedId(row.git_id));
    }
    return found;
  }

  /**
   * Pack-ready entries for `ids`, in the requested order, read in batches that respect the
   * bind-parameter limit. Throws `object_missing` for an id the repository lacks. `rowHints`:
   * see `rows`.
   */
  async packReady(
    repoId: number,
    ids: readonly string[],
    rowHints?: ReadonlyArray<StoredObjectHint | undefined>,
    batchSize = MAX_BATCH,
  ): Promise<PackReadyObject[]> {
    const entries: PackReadyObject[] = [];
    const step = this.batchLimit(batchSize);
    for (let start = 0; start < ids.length; start += step) {
      const batch = ids.slice(start, start + step);
      const hints = rowHints?.slice(start, start + step);
      const byKey = hints && this.packReadyByKey(batch, hints);
      const rest = byKey ? batch.filter((_, index) => byKey[index] === undefined) : batch;
      const rows =
        rest.length === 0
          ? new Map<string, StoredRow>()
          : await this.rows(repoId, rest, byKey ? undefined : hints);
      batch.forEach((id, index) => {
        const read = byKey?.[index];
        if (read) return entries.push(read);
        const row = rows.get(id);
        if (!row) throw missing(id);
        entries.push(this.toPackReady(row));
      });
    }
    return entries;
  }

  /**
   * The pack-ready entries of `ids` by their row keys (`hints`, aligned), at the index of each
   * (undefined where a key is missing or its row holds another object); undefined without
   * SQLite's prepared statements. A clone replaying a recorded walk reads every object so: rows
   * come back concatenated, one blob per statement (`concatenated-rows.ts`), and each entry is
   * made from its row's fields with the id asked for, its bytes a view into that blob; rows the
   * concatenation leaves out (in chunks, or longer than CONCATENATED_ROW_BYTES) are read one by
   * one.
   */
  private packReadyByKey(
    ids: readonly string[],
    hints: ReadonlyArray<StoredObjectHint | undefined>,
  ): Array<PackReadyObject | undefined> | undefined {
    const at = new Map<number, number>();
    hints.forEach((hint, index) => {
      if (hint !== undefined) at.set(rowOfHint(hint), index);
    });
    const blobs = this.preparedValues([...at.keys()], concatenatedRowsSql, [CONCATENATED_ROW_BYTES]);
    if (!blobs) return undefined;
    const entries = new Array<PackReadyObject | undefined>(ids.length);
    for (const [blob] of blobs) {
      if (!blob) continue;
      const row = new ConcatenatedRows(blob as Buffer);
      while (row.next()) {
        const index = at.get(row.key);
        // A row holding another object than the one asked for reads nothing (see `rows`).
        if (index === undefined || !row.holds(ids[index] as string)) continue;
        at.delete(row.key);
        entries[index] = packReadyFields(
          ids[index] as ObjectId,
          row.type,
          row.size,
          row.payloadSize,
          row.data,
          row.key,
          row.deltaBase as ObjectId | undefined,
        );
      }
    }
    if (at.size > 0) this.packReadyRowByRow(ids, at, entries);
    return entries;
  }

  /** `packReadyByKey` for the keys of `at` (key → index) the concatenation left out: a row each. */
  private packReadyRowByRow(
    ids: readonly string[],
    at: ReadonlyMap<number, number>,
    entries: Array<PackReadyObject | undefined>,
  ): void {
    const found = this.preparedValues([...at.keys()], preparedPackReadySql, []) ?? [];
    for (const [key, gitId, type, size, payloadSize, deltaBase, storageType, data] of found) {
      const index = at.get(Number(key));
      if (index === undefined || gitId !== ids[index]) continue;
      const id = ids[index] as ObjectId;
      if (!data && storageType !== 'chunks') throw missing(id);
      const row = { git_id: id, size, payload_size: payloadSize, delta_base: deltaBase, id: key };
      entries[index] = packReadyEntry(
        row as Parameters<typeof packReadyEntry>[0],
        type as ObjectType,
        (data as Buffer | null) ?? (() => this.chunks.openRead(id)),
      );
    }
  }

  /** The inflated object, resolving stored deltas; undefined when the repository lacks it. */
  async read(repoId: number, id: string): Promise<{ type: ObjectType; data: Buffer } | undefined> {
    if (!isHexId(id)) return undefined;
    const row = (await this.rows(repoId, [id])).get(id);
    if (!row) return undefined;
    return { type: row.object_type as ObjectType, data: await this.contentOf(row, new Map(), 0) };
  }

  /**
   * Inflated objects for many ids, in batches: one query for the rows, one per delta-chain level
   * for bases not in the batch, instead of one round trip per object. Skips ids the repository
   * lacks (compare the count when that matters).
   */
  async *readMany(
    repoId: number,
    ids: readonly string[],
    batchSize = 500,
  ): AsyncGenerator<{ id: ObjectId; type: ObjectType; data: Buffer }> {
    const step = this.batchLimit(batchSize);
    for (let start = 0; start < ids.length; start += step) {
      const rows = await this.rows(repoId, ids.slice(start, start + step));
      await this.prefetchBases(rows);
      for (const id of ids.slice(start, start + step)) {
        const row = rows.get(id);
        if (row)
          yield {
            id: row.git_id,
            type: row.object_type,
            data: await this.contentOf(row, rows, 0),
          };
      }
    }
  }

  /**
   * What each annotated tag among `ids` names (its `object` and `type` lines), reading only the
   * start of a big tag: a tag whose message is a deflate bomb costs a few kilobytes, not its
   * size. An id the repository holds that is no annotated tag (or a tag whose head names no
   * object) maps to null, without inflating anything; ids it does not hold are left out.
   */
  async tagTargets(
    repoId: number,
    ids: readonly string[],
  ): Promise<Map<ObjectId, { object: ObjectId; type: ObjectType } | null>> {
    const result = new Map<ObjectId, { object: ObjectId; type: ObjectType } | null>();
    const wanted = [...new Set(ids.filter(isHexId))];
    const step = this.batchLimit(500);
    for (let start = 0; start < wanted.length; start += step) {
      const rows = await this.rows(repoId, wanted.slice(start, start + step));
      for (const [id, row] of rows) {
        if (row.object_type === 'tag') continue;
        rows.delete(id);
        result.set(row.git_id, null);
      }
      await this.prefetchBases(rows);
      for (const id of wanted.slice(start, start + step)) {
        const row = rows.get(id);
        if (!row) continue;
        // Deltas are stored only below the large-object threshold: resolving one is bounded.
        const whole = Number(row.size) <= TAG_HEAD_BYTES || row.delta_base !== null;
        const head = whole
          ? await this.contentOf(row, rows, 0)
          : await this.streamedHead(row, TAG_HEAD_BYTES);
        const target = tagHeadTarget(head);
        result.set(row.git_id, target?.type ? { object: target.object, type: target.type } : null);
      }
    }
    return result;
  }

  /** The first `bytes` of a whole (non-delta) stored object, inflated from a stream and stopped. */
  private async streamedHead(row: StoredRow, bytes: number): Promise<Buffer> {
    const stored = this.deflatedStream(row);
    const pieces: Buffer[] = [];
    let length = 0;
    for await (const piece of stored.pipe(zlib.createInflate())) {
      pieces.push(piece as Buffer);
      length += (piece as Buffer).length;
      if (length >= bytes) break;
    }
    stored.destroy();
    return Buffer.concat(pieces, length);
  }

  /** The stored zlib stream of a whole object, from its row or its chunks. */
  private deflatedStream(row: StoredRow): Readable {
    if (row.data) return Readable.from([row.data]);
    if (row.storage_type === 'chunks') return this.chunks.openRead(row.git_id);
    throw missing(row.git_id);
  }

  /** Every object of the repository stored as a delta, with its base. */
  async deltaBases(repoId: number): Promise<Map<ObjectId, ObjectId>> {
    const rows = await this.db
      .selectFrom('raw_objects')
      .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
      .select(['raw_objects.git_id', 'raw_objects.delta_base'])
      .where('repository_objects.repo_id', '=', repoId)
      .where('raw_objects.delta_base', 'is not', null)
      .execute();
    return new Map(rows.map((row) => [storedId(row.git_id), storedId(row.delta_base!)]));
  }

  /** Type and size without reading the content. */
  async readHeader(repoId: number, id: string): Promise<{ type: ObjectType; size: number } | undefined> {
    if (!isHexId(id)) return undefined;
    const row = await this.db
      .selectFrom('raw_objects')
      .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
      .select(['raw_objects.object_type', 'raw_objects.size'])
      .where('repository_objects.repo_id', '=', repoId)
      .where('raw_objects.git_id', '=', id)
      .executeTakeFirst();
    return row ? { type: row.object_type, size: Number(row.size) } : undefined;
  }

  /**
   * The inflated content as a stream of pieces, for readers that want a prefix (display) or
   * stream the object out (raw downloads); undefined when the repository lacks it. Whole stored
   * objects, rows and chunks alike, are inflated while read: memory stays at zlib's buffers
   * whatever the object's size (a deflate bomb of 1 GiB of zeros costs nothing until read, and
   * a reader that stops early stops the inflating). Delta-stored objects are resolved in memory:
   * the writer stores deltas only for objects below the large-object threshold, against bases
   * that are not chunked (`object-writer.ts`), so that costs at most the threshold per object.
   * The stream fails with `object_corrupt` when it inflates to more or fewer bytes than the
   * stored size says.
   */
  async openContent(
    repoId: number,
    id: string,
  ): Promise<{ type: ObjectType; size: number; stream: Readable } | undefined> {
    if (!isHexId(id)) return undefined;
    const row = (await this.rows(repoId, [id])).get(id);
    if (!row) return undefined;
    const type = row.object_type as ObjectType;
    const size = Number(row.size);
    if (!row.delta_base && (row.storage_type === 'chunks' || size > WHOLE_CONTENT_BYTES)) {
      const stored = this.deflatedStream(row);
      // pipeline destroys every stage with the first error: the consumer sees it on the last one.
      const stream = pipeline(stored, zlib.createInflate(), new ExactSize(size, row.git_id), () => undefined);
      return { type, size, stream };
    }
    // Small rows are inflated at once by the reused inflater (faster than a zlib stream each).
    return { type, size, stream: Readable.from([await this.contentOf(row, new Map(), 0)]) };
  }

  /**
   * Those of `ids` the repository holds whose inflated size is at least `limit` (`blob:limit`
   * from a recorded walk): only the sizes are read, and only the large ids come back. `rowHints`
   * (aligned with `ids`) are read by row key, as `rows` reads them; the others by membership.
   * SQLite through its prepared statements (`preparedValues`), the servers by Kysely.
   */
  async sizesAtLeast(
    repoId: number,
    ids: readonly string[],
    rowHints: ReadonlyArray<StoredObjectHint | undefined>,
    limit: number,
  ): Promise<Set<ObjectId>> {
    const found = new Set<ObjectId>();
    const keys: number[] = [];
    const unhinted: string[] = [];
    ids.forEach((id, index) => {
      const hint = rowHints[index];
      // A hint's size class tells most sizes (any power-of-two limit) without a read.
      const atLeast = hint === undefined ? undefined : sizeClassAtLeast(sizeClassOfHint(hint), limit);
      if (atLeast === true) found.add(id as ObjectId);
      else if (atLeast === false) return;
      else if (hint !== undefined) keys.push(rowOfHint(hint));
      else if (isHexId(id)) unhinted.push(id);
    });
    const byKey = (size: number) =>
      `select git_id from raw_objects where size >= ? and id in (${placeholders(size)})`;
    const keyed = this.idsInBatches(keys, 1, byKey, [limit], (batch) =>
      this.db
        .selectFrom('raw_objects')
        .select('git_id')
        .where('id', 'in', batch)
        .where('size', '>=', limit)
        .execute(),
    );
    for await (const id of keyed) found.add(storedId(id));
    const byMembership = (size: number) =>
      'select raw_objects.git_id from raw_objects ' +
      'inner join repository_objects on repository_objects.git_id = raw_objects.git_id ' +
      'where repository_objects.repo_id = ? and raw_objects.size >= ? ' +
      `and raw_objects.git_id in (${placeholders(size)})`;
    const members = this.idsInBatches(unhinted, 2, byMembership, [repoId, limit], (batch) =>
      this.db
        .selectFrom('raw_objects')
        .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
        .select('raw_objects.git_id')
        .where('repository_objects.repo_id', '=', repoId)
        .where('raw_objects.git_id', 'in', batch)
        .where('raw_objects.size', '>=', limit)
        .execute(),
    );
    for await (const id of members) found.add(storedId(id));
    return found;
  }

  /**
   * Those of `rows` (`raw_objects.id`, a recorded walk's row keys) whose inflated size is at
   * least `limit`: `blob:limit` from a record's bytes, by key alone, no object id read back.
   */
  async rowsSizedAtLeast(rows: readonly number[], limit: number): Promise<Set<number>> {
    const found = new Set<number>();
    const sqlFor = (size: number) =>
      `select id from raw_objects where size >= ? and id in (${placeholders(size)})`;
    for (const batch of batchIds(rows, this.capabilities, 1)) {
      const prepared = this.preparedValues(batch, sqlFor, [limit]);
      if (prepared) {
        for (const [id] of prepared) found.add(Number(id));
        // SQLite runs synchronously: requests get turns between batches.
        await setImmediate();
        continue;
      }
      const large = await this.db
        .selectFrom('raw_objects')
        .select('id')
        .where('id', 'in', batch)
        .where('size', '>=', limit)
        .execute();
      for (const row of large) found.add(Number(row.id));
    }
    return found;
  }

  /**
   * The `git_id`s a query selecting only them gives for `keys`, in batches within the
   * bind-parameter limit (`reserved`: its other parameters): SQLite's prepared statement
   * (`sqlFor`, `leading` bound before the keys), letting requests in between batches since it
   * runs synchronously; `query` through Kysely otherwise.
   */
  private async *idsInBatches<K>(
    keys: readonly K[],
    reserved: number,
    sqlFor: (size: number) => string,
    leading: readonly unknown[],
    query: (batch: K[]) => Promise<Array<{ git_id: string }>>,
  ): AsyncGenerator<string> {
    for (const batch of batchIds(keys, this.capabilities, reserved)) {
      const prepared = this.preparedValues(batch, sqlFor, leading);
      if (prepared) {
        for (const [id] of prepared) yield id as string;
        await setImmediate();
      } else {
        for (const row of await query(batch)) yield row.git_id;
      }
    }
  }

  /** Parsed commit facts for graph walks, for those of `ids` the repository holds. */
  async readCommits(repoId: number, ids: readonly string[]): Promise<Map<ObjectId, CommitSummary>> {
    const result = new Map<ObjectId, CommitSummary>();
    const wanted = [...new Set(ids.filter(isHexId))];
    for (const batch of batchIds(wanted, this.capabilities, 1)) {
      const rows = await selectCommitSummary(this.db, repoId).where('commit.git_id', 'in', batch).execute();
      for (const row of rows) {
        const commit = toCommitSummary(row);
        result.set(commit.id, commit);
      }
    }
    return result;
  }

  /** Follows annotated tags to the object they finally name (git's `^{}`). */
  async peel(repoId: number, id: ObjectId): Promise<{ id: ObjectId; type: ObjectType } | undefined> {
    return (await this.peelMany(repoId, [id])).get(id);
  }

  /**
   * Peels many ids (a ref advertisement): one query for their types, and only annotated tags
   * are read. Ids the repository lacks are absent from the result.
   */
  async peelMany(
    repoId: number,
    ids: readonly string[],
  ): Promise<Map<ObjectId, { id: ObjectId; type: ObjectType }>> {
    const result = new Map<ObjectId, { id: ObjectId; type: ObjectType }>();
    const types = await this.types(repoId, ids);
    for (const [id, type] of types) {
      if (type !== 'tag') {
        result.set(id, { id, type });
        continue;
      }
      let current: ObjectId = id;
      for (let depth = 0; depth < MAX_PEEL_DEPTH; depth++) {
        const tag = (await this.tagTargets(repoId, [current])).get(current);
        if (!tag) break;
        if (tag.type !== 'tag') {
          const type = (await this.types(repoId, [tag.object])).get(tag.object);
          if (type) result.set(id, { id: tag.object, type });
          break;
        }
        current = tag.object;
      }
    }
    return result;
  }

  /** The types of those of `ids` the repository holds (one query per batch). */
  async types(repoId: number, ids: readonly string[]): Promise<Map<ObjectId, ObjectType>> {
    const types = new Map<ObjectId, ObjectType>();
    const wanted = [...new Set(ids.filter(isHexId))];
    for (const batch of batchIds(wanted, this.capabilities, 1)) {
      const rows = await this.db
        .selectFrom('raw_objects')
        .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
        .select(['raw_objects.git_id', 'raw_objects.object_type'])
        .where('repository_objects.repo_id', '=', repoId)
        .where('raw_objects.git_id', 'in', batch)
        .execute();
      for (const row of rows) types.set(storedId(row.git_id), row.object_type);
    }
    return types;
  }

  /** How an object is stored, ignoring membership: used to resolve delta chains and thin bases. */
  async storedForm(id: string): Promise<{ depth: number; chunked: boolean } | undefined> {
    const row = await this.db
      .selectFrom('raw_objects')
      .select(['delta_depth', 'storage_type'])
      .where('git_id', '=', id)
      .executeTakeFirst();
    return row ? { depth: Number(row.delta_depth), chunked: row.storage_type === 'chunks' } : undefined;
  }

  private toPackReady(row: StoredRow): PackReadyObject {
    const { data } = row;
    if (!data && row.storage_type !== 'chunks') throw missing(row.git_id);
    return packReadyEntry(row, row.object_type, data ?? (() => this.chunks.openRead(row.git_id)));
  }

  /** A caller's batch size, capped so one IN list stays within the bind-parameter limit. */
  private batchLimit(batchSize: number): number {
    return Math.max(1, Math.min(Math.floor(batchSize), this.capabilities.maxBindParams - 1, MAX_BATCH));
  }

  /**
   * The stored rows of those of `ids` the repository holds, by object id. `rowHints` (aligned
   * with `ids`) are `raw_objects.id`s recorded for them by a clone walk, which read faster than by
   * object id (one integer key instead of the id index plus the membership key). A hinted row
   * stands for the object it holds, so a wrong hint reads nothing asked for; membership was
   * checked when the walk was recorded and is never withdrawn while the repository exists. Ids no
   * hint delivered are read as usual.
   */
  private async rows(
    repoId: number,
    ids: readonly string[],
    rowHints?: ReadonlyArray<StoredObjectHint | undefined>,
  ): Promise<Map<string, StoredRow>> {
    const found = new Map<string, StoredRow>();
    if (rowHints) {
      const keys = rowHints.filter((hint): hint is StoredObjectHint => hint !== undefined).map(rowOfHint);
      for (const row of await this.rowsByKey(keys)) found.set(row.git_id, row);
    }
    const rest = found.size === 0 ? ids : ids.filter((id) => !found.has(id));
    if (rest.length > 0) for (const row of await this.memberRows(repoId, rest)) found.set(row.git_id, row);
    return found;
  }

  private async rowsByKey(keys: readonly number[]): Promise<StoredRow[]> {
    if (keys.length === 0) return [];
    const prepared = this.preparedRows(keys, (size) => preparedRowsByKeySql(size), []);
    if (prepared) return prepared;
    const rows: StoredRow[] = [];
    for (const batch of batchIds(keys, this.capabilities)) {
      const found = (await this.db
        .selectFrom('raw_objects')
        .select(ROW_COLUMNS)
        .where('raw_objects.id', 'in', batch)
        .execute()) as StoredRow[];
      for (const row of found) rows.push(row);
    }
    return rows;
  }

  private async memberRows(repoId: number, ids: readonly string[]): Promise<StoredRow[]> {
    const wanted = ids.filter(isHexId);
    if (wanted.length === 0) return [];
    const prepared = this.preparedRows(wanted, (size) => preparedRowsSql(size), [repoId]);
    if (prepared) return prepared;
    const rows = await this.db
      .selectFrom('raw_objects')
      .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
      .select(ROW_COLUMNS)
      .where('repository_objects.repo_id', '=', repoId)
      .where('raw_objects.git_id', 'in', wanted)
      .execute();
    return rows as StoredRow[];
  }

  /**
   * `rows` through SQLite prepared statements: a clone reads every object of a repository, and
   * building each query, preparing it and making an object per row cost as much as the reads.
   * The IN list is padded to one of a few sizes (repeating an id changes nothing), so a handful
   * of statements serve every batch.
   */
  private preparedRows<K>(
    keys: readonly K[],
    sqlFor: (size: number) => string,
    leading: readonly unknown[],
  ): StoredRow[] | undefined {
    return this.preparedValues(keys, sqlFor, leading)?.map(storedRowOf);
  }

  /** `preparedRows` for any columns: each row as its values, in the order the query selects them. */
  private preparedValues<K>(
    keys: readonly K[],
    sqlFor: (size: number) => string,
    leading: readonly unknown[],
  ): unknown[][] | undefined {
    const run = this.runPreparedQuery;
    if (!run) return undefined;
    const rows: unknown[][] = [];
    const largest = PREPARED_IN_SIZES[PREPARED_IN_SIZES.length - 1] as number;
    for (let start = 0; start < keys.length; start += largest) {
      const chunk = keys.slice(start, start + largest);
      const size = PREPARED_IN_SIZES.find((n) => n >= chunk.length) as number;
      const padding = new Array<K>(size - chunk.length).fill(chunk[0] as K);
      const found = run(sqlFor(size), leading.concat(chunk, padding), this.db.isTransaction);
      if (!found) return undefined;
      for (const values of found) rows.push(values);
    }
    return rows;
  }

  /** Loads, level by level, the delta bases of `rows` not loaded yet (one query per level). */
  private async prefetchBases(rows: Map<string, StoredRow>): Promise<void> {
    let level = [...rows.values()];
    for (let depth = 0; depth < MAX_READ_CHAIN && level.length > 0; depth++) {
      const wanted = [
        ...new Set(
          level
            .map((row) => row.delta_base)
            .filter(
              (base): base is ObjectId =>
                base !== null && !rows.has(base) && this.cache.get(base) === undefined,
            ),
        ),
      ];
      level = await this.baseRows(wanted);
      for (const row of level) rows.set(row.git_id, row);
    }
  }

  /**
   * The rows of delta bases by object id, without membership (bases are internal). On SQLite
   * through the prepared statements: a shallow clone resolves thousands of chains level by level,
   * and building and preparing a query per level cost more than its probes.
   */
  private async baseRows(ids: readonly string[]): Promise<StoredRow[]> {
    if (ids.length === 0) return [];
    const prepared = this.preparedRows(ids, preparedBaseRowsSql, []);
    if (prepared) return prepared;
    const rows: StoredRow[] = [];
    for (const batch of batchIds(ids, this.capabilities)) {
      const found = await this.db
        .selectFrom('raw_objects')
        .select(ROW_COLUMNS)
        .where('git_id', 'in', batch)
        .execute();
      for (const row of found as StoredRow[]) rows.push(row);
    }
    return rows;
  }

  /** Inflates a row, applying its delta to its base (read without membership: bases are internal). */
  private async contentOf(row: StoredRow, loaded: Map<string, StoredRow>, chain: number): Promise<Buffer> {
    const cached = this.cache.get(row.git_id);
    if (cached) return cached;
    if (chain > MAX_READ_CHAIN) {
      throw new MegaError('internal', 'object_delta_chain_too_long', 'stored delta chain too long', {
        id: row.git_id,
      });
    }
    const stored =
      row.data ?? (row.storage_type === 'chunks' ? await this.chunks.read(row.git_id) : undefined);
    if (!stored) throw missing(row.git_id);
    const payload = await this.inflater.inflate(stored, Number(row.payload_size));
    if (!row.delta_base) {
      if (chain > 0 || loaded.size > 1) this.cache.set(row.git_id, payload);
      return payload;
    }
    const base = loaded.get(row.delta_base) ?? (await this.baseRows([row.delta_base]))[0];
    if (!base) throw missing(row.delta_base);
    const content = applyDelta(await this.contentOf(base, loaded, chain + 1), payload, Number(row.size));
    if (chain > 0 || loaded.size > 1) this.cache.set(row.git_id, content);
    return content;
  }
}

/** The commits a repository holds, with the columns of `CommitSummary` (narrow it with `where`). */
export function selectCommitSummary(db: Kysely<Database>, repoId: number) {
  return db
    .selectFrom('commit')
    .innerJoin('repository_objects', 'repository_objects.git_id', 'commit.git_id')
    .select(['commit.git_id', 'commit.tree', 'commit.pid', 'commit.commit_time'])
    .where('repository_objects.repo_id', '=', repoId);
}

export function toCommitSummary(row: {
  git_id: string;
  tree: string;
  pid: string;
  commit_time: number;
}): CommitSummary {
  return {
    id: storedId(row.git_id),
    tree: storedId(row.tree),
    parents: storedIds(JSON.parse(row.pid) as string[]),
    committerTime: Number(row.commit_time),
  };
}

/** A stored row's pack-ready entry, with its bytes (or their stream) as given. */
export function packReadyEntry(
  row: {
    git_id: ObjectId;
    size: number;
    payload_size: number;
    delta_base: ObjectId | null;
    id: number;
  },
  type: ObjectType,
  deflated: PackReadyObject['deflated'],
): PackReadyObject {
  return packReadyFields(
    row.git_id,
    type,
    Number(row.size),
    Number(row.payload_size),
    deflated,
    Number(row.id),
    row.delta_base ?? undefined,
  );
}

/** A pack-ready entry from its fields (`key`: the row's key, kept with the size's class as the entry's hint). */
function packReadyFields(
  id: ObjectId,
  type: ObjectType,
  size: number,
  payloadSize: number,
  deflated: PackReadyObject['deflated'],
  key: number,
  deltaBase: ObjectId | undefined,
): PackReadyObject {
  // Optional fields are set one by one, not spread: a clone makes one entry per object.
  const entry: { -readonly [K in keyof PackReadyObject]: PackReadyObject[K] } = {
    id,
    type,
    size,
    payloadSize,
    deflated,
    hint: storedObjectHint(key, sizeClassOf(size)),
  };
  if (deltaBase) entry.deltaBase = deltaBase;
  return entry;
}

function isHexId(id: string): boolean {
  return (id.length === 40 || id.length === 64) && /^[0-9a-f]+$/.test(id);
}

function missing(id: string): MegaError {
  return notFound('object_missing', `object ${id} is missing`, { id });
}

/** Passes an inflated stream through, failing it when it is longer or shorter than `size`. */
class ExactSize extends Transform {
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly id: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    callback(this.seen > this.size ? this.corrupt() : null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.seen === this.size ? null : this.corrupt());
  }

  private corrupt(): MegaError {
    return new MegaError('internal', 'object_corrupt', 'stored object does not inflate to its size', {
      id: this.id,
      size: this.size,
    });
  }
}
