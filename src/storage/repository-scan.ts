import type { Kysely } from 'kysely';
import { BaseCache } from '../git/base-cache.js';
import { applyDelta } from '../git/delta.js';
import type { ObjectId } from '../git/object-id.js';
import { MegaError, notFound } from '../platform/errors.js';
import type { Database } from './database.js';
import type { ObjectType } from '../git/object.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { PayloadInflater } from './payload-inflater.js';
import { ObjectChunks } from './object-chunks.js';
import { packReadyEntry, selectCommitSummary, toCommitSummary } from './object-store.js';
import type { PackReadyObject } from './pack-ready.js';
import type { CommitSummary } from '../git/commit.js';
import { batchIds } from './sql-batches.js';
import { storedId } from './stored-id.js';
import { appendAll } from '../platform/append-all.js';

/** Inflated trees kept while a scan resolves delta chains (trees are small; chains are ≤ 50). */
const TREE_CACHE_BYTES = 64 * 1024 * 1024;
/** Stored chains are capped at 50; anything deeper is corruption. */
const MAX_CHAIN = 1000;

interface TreeRow {
  id: number;
  git_id: ObjectId;
  size: number;
  payload_size: number;
  delta_base: ObjectId | null;
  data: Buffer | null;
  storage_type: string;
}

/**
 * Whole-repository reads for a full clone: every commit and every tree of one repository in a
 * couple of queries (instead of one query per commit and one per tree level and delta-chain
 * level). Visibility is the repository's membership, as everywhere else.
 */
export class RepositoryScan {
  private readonly chunks: ObjectChunks;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {
    this.chunks = new ObjectChunks(db, capabilities);
  }

  /** Parsed facts of every commit the repository holds. */
  async commits(repoId: number): Promise<Map<ObjectId, CommitSummary>> {
    const rows = await selectCommitSummary(this.db, repoId).execute();
    return new Map(rows.map((row) => toCommitSummary(row)).map((commit) => [commit.id, commit]));
  }

  /**
   * Every tree of the repository (or only those among `among`, e.g. a push's objects) in its
   * stored form, with delta bases resolvable in memory.
   */
  async trees(repoId: number, among?: readonly string[]): Promise<StoredTrees> {
    const members: TreeRow[] = [];
    const batches = among ? batchIds([...new Set(among)], this.capabilities, 2) : [undefined];
    for (const batch of batches) {
      let query = this.db
        .selectFrom('raw_objects')
        .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
        .select([
          'raw_objects.git_id',
          'raw_objects.size',
          'raw_objects.payload_size',
          'raw_objects.delta_base',
          'raw_objects.data',
          'raw_objects.storage_type',
          'raw_objects.id',
        ])
        .where('repository_objects.repo_id', '=', repoId)
        .where('raw_objects.object_type', '=', 'tree');
      if (batch) query = query.where('raw_objects.git_id', 'in', batch);
      appendAll(members, (await query.execute()) as TreeRow[]);
    }
    const rows = new Map(members.map((row) => [row.git_id, row]));
    const memberIds = new Set(rows.keys());
    // Delta bases are internal (read without membership); load those outside the repository.
    let level = members;
    for (let depth = 0; depth < MAX_CHAIN && level.length > 0; depth++) {
      const wanted = [
        ...new Set(
          level
            .map((row) => row.delta_base)
            .filter((base): base is ObjectId => base !== null && !rows.has(base)),
        ),
      ];
      level = [];
      for (const batch of batchIds(wanted, this.capabilities)) {
        const found = (await this.db
          .selectFrom('raw_objects')
          .select(['id', 'git_id', 'size', 'payload_size', 'delta_base', 'data', 'storage_type'])
          .where('git_id', 'in', batch)
          .execute()) as TreeRow[];
        for (const row of found) {
          rows.set(row.git_id, row);
          level.push(row);
        }
      }
    }
    // Trees big enough to live in chunks are rare: read them now so resolving stays synchronous.
    for (const row of rows.values()) {
      if (!row.data && row.storage_type === 'chunks') row.data = await this.chunks.read(row.git_id);
    }
    return new StoredTrees(rows, memberIds);
  }

  /**
   * One page of the repository's membership in id order with each object's type: the ids after
   * `after`, at most `limit` of them (fsck walks every object this way without holding them all).
   */
  async memberTypes(
    repoId: number,
    after: string,
    limit: number,
  ): Promise<Array<{ id: ObjectId; type: ObjectType }>> {
    const rows = await this.db
      .selectFrom('repository_objects')
      .innerJoin('raw_objects', 'raw_objects.git_id', 'repository_objects.git_id')
      .select(['repository_objects.git_id as id', 'raw_objects.object_type as type'])
      .where('repository_objects.repo_id', '=', repoId)
      .where('repository_objects.git_id', '>', after)
      .orderBy('repository_objects.git_id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: storedId(row.id), type: row.type }));
  }
}

/** The trees of one repository: stored (pack-ready) forms and inflated contents on demand. */
export class StoredTrees {
  private cache = new BaseCache<string>(TREE_CACHE_BYTES);
  private readonly inflater = new PayloadInflater();

  constructor(
    private readonly rows: ReadonlyMap<string, TreeRow>,
    private readonly members: ReadonlySet<string>,
  ) {}

  get count(): number {
    return this.members.size;
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  /** The stored form of a tree of the repository, or undefined. */
  packReady(id: string): PackReadyObject | undefined {
    const row = this.members.has(id) ? this.rows.get(id) : undefined;
    if (!row?.data) return undefined;
    return packReadyEntry(row, 'tree', row.data);
  }

  /** Forgets the inflated trees resolved so far (they are resolved again if asked for). */
  releaseContents(): void {
    this.cache = new BaseCache<string>(TREE_CACHE_BYTES);
  }

  /** The inflated tree, resolving its delta chain in memory; undefined when not a member. */
  content(id: string): Buffer | undefined {
    return this.members.has(id) ? this.resolve(id, 0) : undefined;
  }

  private resolve(id: string, chain: number): Buffer {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = this.rows.get(id);
    if (!row?.data) throw notFound('object_missing', `object ${id} is missing`, { id });
    if (chain > MAX_CHAIN) {
      throw new MegaError('internal', 'object_delta_chain_too_long', 'stored delta chain too long', { id });
    }
    const payload = this.inflater.inflateSync(row.data, Number(row.payload_size));
    const content = row.delta_base
      ? applyDelta(this.resolve(row.delta_base, chain + 1), payload, Number(row.size))
      : payload;
    this.cache.set(id, content);
    return content;
  }
}
