import type { Kysely } from 'kysely';
import type { ObjectType } from '../git/object.js';
import { objectIdFromRaw, type ObjectId } from '../git/object-id.js';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { storedObjectHint, type StoredObjectHint } from './pack-ready.js';
import { inTransaction } from './transaction.js';
import { batchIds, nowTimestamp } from './sql-batches.js';

/** One object of a recorded walk, in pack order. */
export interface WalkedEntry {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Where storage keeps it, a faster read than the object id (absent: not known). */
  readonly hint?: StoredObjectHint;
}

/** Walks kept per repository: the newest few ref states (and their clone variants). */
export const WALKS_KEPT_PER_REPOSITORY = 4;
/** Largest part of an object list, in bytes (well under every database's statement limit). */
const PART_BYTES = 1024 * 1024;
/** Bytes of an entry's row key (0 = not known). */
const ROW_BYTES = 6;

const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPES_BY_CODE: ReadonlyArray<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];

/**
 * Recorded full-clone walks (migration 0006): the objects a set of wanted ids reaches, in the
 * order a pack sends them. A clone that finds its walk here skips reading the repository's
 * commits and trees and starts its pack at once. Keys are computed by the caller from the walk's
 * inputs; objects never change, so an entry is valid for as long as it is kept.
 */
export class CloneWalkStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /**
   * The recorded walk, or undefined. Damaged rows are deleted (and undefined returned): the
   * caller walks again and records the walk afresh.
   */
  async find(repoId: number, key: string): Promise<WalkedEntry[] | undefined> {
    const walk = await this.db
      .selectFrom('clone_walks')
      .select(['id', 'object_count'])
      .where('repo_id', '=', repoId)
      .where('walk_key', '=', key)
      .executeTakeFirst();
    if (!walk) return undefined;
    const parts = await this.db
      .selectFrom('clone_walk_parts')
      .select('data')
      .where('walk_id', '=', walk.id)
      .orderBy('seq')
      .execute();
    const entries: WalkedEntry[] = [];
    const intact =
      parts.every((part) => decodePart(part.data, entries)) && entries.length === Number(walk.object_count);
    if (intact) return entries;
    await deleteWalks(this.db, [walk.id]);
    return undefined;
  }

  /**
   * Records a walk (a no-op when the key is already recorded, e.g. by a racing clone) and drops
   * the repository's oldest walks beyond WALKS_KEPT_PER_REPOSITORY.
   */
  async save(repoId: number, key: string, entries: readonly WalkedEntry[]): Promise<void> {
    const parts = encodeParts(entries, await this.rowKeys(entries));
    try {
      await inTransaction(this.db, async (trx) => {
        await trx
          .insertInto('clone_walks')
          .values({
            repo_id: repoId,
            walk_key: key,
            object_count: entries.length,
            created_at: nowTimestamp(),
          })
          .execute();
        const { id } = await trx
          .selectFrom('clone_walks')
          .select('id')
          .where('repo_id', '=', repoId)
          .where('walk_key', '=', key)
          .executeTakeFirstOrThrow();
        for (const [seq, data] of parts.entries()) {
          await trx.insertInto('clone_walk_parts').values({ walk_id: id, seq, data }).execute();
        }
        const stale = await trx
          .selectFrom('clone_walks')
          .select('id')
          .where('repo_id', '=', repoId)
          .orderBy('id', 'desc')
          .offset(WALKS_KEPT_PER_REPOSITORY)
          .limit(1_000_000)
          .execute();
        await deleteWalks(
          trx,
          stale.map((row) => row.id),
        );
      });
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) return;
      throw error;
    }
  }

  /** The `raw_objects.id` of the entries that do not carry theirs. */
  private async rowKeys(entries: readonly WalkedEntry[]): Promise<Map<string, number>> {
    const keys = new Map<string, number>();
    const ids = entries.filter((entry) => entry.hint === undefined).map((entry) => entry.id);
    for (const batch of batchIds(ids, this.capabilities)) {
      const rows = await this.db
        .selectFrom('raw_objects')
        .select(['id', 'git_id'])
        .where('git_id', 'in', batch)
        .execute();
      for (const row of rows) keys.set(row.git_id, Number(row.id));
    }
    return keys;
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

async function deleteWalks(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('clone_walk_parts').where('walk_id', 'in', ids).execute();
  await db.deleteFrom('clone_walks').where('id', 'in', ids).execute();
}

/**
 * Parts of at most PART_BYTES: one byte giving the raw id length (20 for SHA-1, 32 for SHA-256),
 * then `[type code][raw id][row key, 6 bytes big-endian]` per object.
 */
function encodeParts(entries: readonly WalkedEntry[], rowKeys: ReadonlyMap<string, number>): Buffer[] {
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
      part[offset] = TYPE_CODES[entry.type];
      part.write(entry.id, offset + 1, idBytes, 'hex');
      part.writeUIntBE(entry.hint ?? rowKeys.get(entry.id) ?? 0, offset + 1 + idBytes, ROW_BYTES);
      offset += entryBytes;
    }
    parts.push(part);
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
    const type = TYPES_BY_CODE[part[offset] as number];
    if (!type) return false;
    const id = objectIdFromRaw(part, offset + 1, format);
    const row = part.readUIntBE(offset + 1 + format.rawLength, ROW_BYTES);
    into.push(row > 0 ? { id, type, hint: storedObjectHint(row) } : { id, type });
  }
  return true;
}
