import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { requireBlobOid, type ByteSpan, type LfsBlobStore } from './lfs-blob-store.js';
import { VerifiedBody } from './verified-body.js';

/** Bytes per chunk row: one statement on every dialect (MariaDB's packet limit is 16 MiB). */
const CHUNK_BYTES = 1024 * 1024;
/** Chunk rows fetched per query while streaming out: bounded memory, few round trips. */
const CHUNKS_PER_READ = 4;

/**
 * LFS object contents as chunk rows in the database (`MEGA_LFS_STORE=db`, migration 0009).
 * An upload writes its chunks under a fresh random `blob_id` as they arrive (each insert its own
 * short statement: a transaction spanning a slow client would block SQLite's one connection),
 * and only after the sha256 and size matched does one short transaction insert the
 * `lfs_blobs` row that makes them readable. Any failure deletes the upload's chunks.
 */
export class DbBlobStore implements LfsBlobStore {
  readonly description = 'db';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
    private readonly chunkBytes = Math.min(CHUNK_BYTES, Math.floor(capabilities.maxStatementBytes / 2)),
  ) {}

  async put(oid: string, openBody: () => Readable, expectedSize?: number): Promise<number> {
    requireBlobOid(oid);
    const blobId = randomBytes(16).toString('hex');
    await this.db
      .insertInto('lfs_blob_uploads')
      .values({ blob_id: blobId, started_at: new Date().toISOString() })
      .execute();
    const writer = this.chunkWriter(blobId);
    try {
      const body = new VerifiedBody(expectedSize);
      await pipeline(openBody(), body, writer.stream);
      const size = body.check(oid);
      const stored = await this.db.transaction().execute(async (trx) => {
        const inserted = await insertIgnore(
          trx.insertInto('lfs_blobs').values({
            oid,
            blob_id: blobId,
            size,
            chunk_bytes: this.chunkBytes,
            created_at: new Date().toISOString(),
          }),
          this.capabilities,
        ).executeTakeFirst();
        await trx.deleteFrom('lfs_blob_uploads').where('blob_id', '=', blobId).execute();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
      });
      // The same content was stored by another upload first: ours is a duplicate.
      if (!stored) await this.db.deleteFrom('lfs_blob_chunks').where('blob_id', '=', blobId).execute();
      return size;
    } catch (error) {
      // A failed pipeline rejects at once, while a chunk insert may still be on its way on another
      // pooled connection: deleting before it lands would leave that chunk behind.
      await writer.settled();
      await this.discard(blobId);
      throw error;
    }
  }

  /**
   * Buffers the stream into `chunkBytes` pieces and inserts each as it fills; `settled()` resolves
   * once no insert is in flight (whether it succeeded or not).
   */
  private chunkWriter(blobId: string): { stream: Writable; settled: () => Promise<void> } {
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    const insert = (data: Buffer): Promise<void> => {
      const done = this.db
        .insertInto('lfs_blob_chunks')
        .values({ blob_id: blobId, seq, data })
        .execute()
        .then(() => {
          seq += 1;
        });
      inFlight = done.catch(() => undefined);
      return done;
    };
    const flushFull = async () => {
      while (pendingBytes >= this.chunkBytes) {
        const all = Buffer.concat(pending, pendingBytes);
        await insert(all.subarray(0, this.chunkBytes));
        const rest = all.subarray(this.chunkBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
    };
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        flushFull().then(() => callback(), callback);
      },
      final(callback) {
        const last = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        // An empty object has no chunk rows at all.
        (last.length > 0 ? insert(last) : Promise.resolve()).then(() => callback(), callback);
      },
    });
    return { stream, settled: () => inFlight.then(() => undefined) };
  }

  private async discard(blobId: string): Promise<void> {
    await this.db.deleteFrom('lfs_blob_chunks').where('blob_id', '=', blobId).execute();
    await this.db.deleteFrom('lfs_blob_uploads').where('blob_id', '=', blobId).execute();
  }

  private async row(oid: string) {
    requireBlobOid(oid);
    return this.db
      .selectFrom('lfs_blobs')
      .select(['blob_id', 'size', 'chunk_bytes'])
      .where('oid', '=', oid)
      .executeTakeFirst();
  }

  async stat(oid: string): Promise<number | undefined> {
    const row = await this.row(oid);
    return row ? Number(row.size) : undefined;
  }

  async has(oid: string): Promise<boolean> {
    return (await this.row(oid)) !== undefined;
  }

  async open(oid: string, span?: ByteSpan): Promise<Readable> {
    const row = await this.row(oid);
    if (!row) throw new Error(`LFS object ${oid} is not stored`);
    const size = Number(row.size);
    const start = span?.start ?? 0;
    const end = span?.end ?? size - 1;
    return Readable.from(this.readChunks(row.blob_id, row.chunk_bytes, start, end), { objectMode: false });
  }

  /** Yields bytes `start..end` (inclusive), fetching a few chunk rows per query. */
  private async *readChunks(blobId: string, chunkBytes: number, start: number, end: number) {
    if (end < start) return;
    const last = Math.floor(end / chunkBytes);
    for (let seq = Math.floor(start / chunkBytes); seq <= last; seq += CHUNKS_PER_READ) {
      const rows = await this.db
        .selectFrom('lfs_blob_chunks')
        .select(['seq', 'data'])
        .where('blob_id', '=', blobId)
        .where('seq', '>=', seq)
        .where('seq', '<', Math.min(seq + CHUNKS_PER_READ, last + 1))
        .orderBy('seq')
        .execute();
      for (const chunk of rows) {
        const offset = Number(chunk.seq) * chunkBytes;
        const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset + 1, data.length);
        yield data.subarray(from, to);
      }
    }
  }

  async delete(oid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('lfs_blobs')
        .select('blob_id')
        .where('oid', '=', oid)
        .executeTakeFirst();
      if (!row) return;
      await trx.deleteFrom('lfs_blobs').where('oid', '=', oid).execute();
      await trx.deleteFrom('lfs_blob_chunks').where('blob_id', '=', row.blob_id).execute();
    });
  }

  async removeStaleUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    const cutoff = new Date(now - olderThanMs).toISOString();
    const stale = await this.db
      .selectFrom('lfs_blob_uploads')
      .select('blob_id')
      .where('started_at', '<', cutoff)
      .execute();
    for (const { blob_id } of stale) await this.discard(blob_id);
    return stale.length;
  }

  async close(): Promise<void> {}
}
