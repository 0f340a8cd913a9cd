import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflate } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { insertIgnore } from './insert-ignore.js';

/**
 * Largest piece of an object per row. 256 KiB rather than 1 MiB: the bench of 10 files of 5 MiB
 * (SQLite) peaked at 195 MB server RSS on push and 152 MB on clone instead of 220 and 180 MB,
 * at no measurable cost in time.
 */
const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * Bytes of buffers a sliced read leaves behind per byte it returns: the slices (1) and the socket
 * reads that carried them as text (up to 2, as hex).
 */
const SLICED_READ_GARBAGE_PER_BYTE = 3;

/**
 * Bytes per chunk row on this database: at most a quarter of what one statement may carry, so a
 * chunk bound as escaped text (MariaDB's text protocol doubles binary as hex) plus the statement
 * stays within `maxStatementBytes` and far below MariaDB's `max_allowed_packet`.
 */
export function chunkBytes(capabilities: DialectCapabilities): number {
  return Math.min(MAX_CHUNK_BYTES, Math.floor(capabilities.maxStatementBytes / 4));
}

/**
 * Large objects' pack-ready zlib streams as ordered rows of `object_chunks` (`storage_type =
 * 'chunks'`). Writes cut a stream into chunks as it arrives (one chunk in memory at a time), in
 * the caller's transaction, so a failed push leaves none. Reads fetch one chunk per query, one
 * ahead of the consumer. Content-addressed writes go through `writeOnce`, so two pushes of the
 * same object never interleave their chunks.
 */
export class ObjectChunks {
  private readonly size: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {
    this.size = chunkBytes(capabilities);
  }

  /**
   * Stores the chunks of `id` unless it has them (then `pieces` is not read). The first chunk is
   * the claim: it is inserted unless present, and only the writer whose insert took writes the
   * rest. A concurrent writer's insert waits for the claim's transaction on a server database, so
   * two streams of one object (deflated differently by two clients) never mix. Returns whether
   * this call wrote them.
   */
  async writeOnce(id: string, pieces: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<boolean> {
    let claimed = true;
    await this.write(id, pieces, async (data) => {
      const result = await insertIgnore(
        this.db.insertInto('object_chunks').values({ git_id: id, seq: 0, data }),
        this.capabilities,
      ).executeTakeFirst();
      claimed = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
      return claimed;
    });
    return claimed;
  }

  /**
   * Stores `pieces` (read once, in order) as the chunks of `id`; returns the bytes written.
   * `first`, when given, inserts chunk 0 and says whether to go on.
   */
  async write(
    id: string,
    pieces: Iterable<Buffer> | AsyncIterable<Buffer>,
    first?: (data: Buffer) => Promise<boolean>,
  ): Promise<number> {
    // One buffer assembles every chunk: each insert has finished with it before it is refilled,
    // so a large object leaves no garbage of chunk copies behind (a 5 MiB blob was 20 of them).
    let chunk: Buffer | undefined;
    let filled = 0;
    let seq = 0;
    let total = 0;
    let stopped = false;
    const insert = async (data: Buffer) => {
      if (seq === 0 && first) stopped = !(await first(data));
      else await this.db.insertInto('object_chunks').values({ git_id: id, seq, data }).execute();
      seq++;
      total += data.length;
    };
    for await (const piece of pieces) {
      // Copied out of `piece` before the next is read: a stream may reuse the buffer it handed out.
      for (let used = 0; used < piece.length;) {
        chunk ??= Buffer.allocUnsafe(this.size);
        const take = Math.min(this.size - filled, piece.length - used);
        piece.copy(chunk, filled, used, used + take);
        filled += take;
        used += take;
        if (filled === this.size) {
          await insert(chunk);
          if (stopped) return 0;
          filled = 0;
        }
      }
    }
    if (filled > 0 || seq === 0) await insert(chunk ? chunk.subarray(0, filled) : Buffer.alloc(0));
    return stopped ? 0 : total;
  }

  /** Deletes the chunks of `id` (before rewriting them: moving a file is then idempotent). */
  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('object_chunks').where('git_id', '=', id).execute();
  }

  /** The stored stream of `id`, fetched chunk by chunk; fails when `id` has no chunks. */
  openRead(id: string): Readable {
    return Readable.from(this.pieces(id), { highWaterMark: 1 });
  }

  /** The whole stored stream of `id` (callers bound the size: trees, delta bases). */
  async read(id: string): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for await (const piece of this.pieces(id)) pieces.push(piece);
    return Buffer.concat(pieces);
  }

  /**
   * The rows of `id` in order. Rows carry no count, so a stream cut short (later rows lost) is
   * told by its last row: every row but the last is full (as long as the first, or this
   * database's chunk size for a lone row), so a stream is cut short at most when its last row is
   * full. That happens on its own only when the stream is an exact multiple of the chunk size
   * (about one object in 256k): then the stored stream is inflated once more to decide.
   */
  private async *pieces(id: string): AsyncGenerator<Buffer> {
    let firstLength = 0;
    let lastLength = 0;
    for (let seq = 0; ; seq++) {
      const data = await this.readRow(id, seq);
      if (!data) {
        if (seq === 0) {
          throw new MegaError('internal', 'object_missing', 'stored object has no data', { id });
        }
        const fullLength = seq > 1 ? firstLength : this.size;
        if (lastLength >= fullLength) await this.requireComplete(id, seq);
        return;
      }
      if (seq === 0) firstLength = data.length;
      lastLength = data.length;
      // Each row is a fresh buffer the consumer drops once sent or copied.
      noteBufferGarbage(data.length);
      yield data;
    }
  }

  /** Chunk row `seq` of `id`, in slices where the dialect reads big blobs best that way. */
  private async readRow(id: string, seq: number): Promise<Buffer | undefined> {
    const slices = this.capabilities.blobSlices;
    if (!slices) {
      const row = await this.db
        .selectFrom('object_chunks')
        .select('data')
        .where('git_id', '=', id)
        .where('seq', '=', seq)
        .executeTakeFirst();
      return row && (Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data));
    }
    // An empty row still yields one (empty) slice, so it is told from a missing one.
    const { rows } = await sql<{ data: unknown }>`
      select ${slices.slice(sql.ref('data'), sql.ref('at'))} as data
      from object_chunks cross join lateral ${slices.offsets(sql<number>`greatest(octet_length(data), 1)`)}
      where git_id = ${id} and seq = ${seq}
      order by at`.execute(this.db);
    if (rows.length <= 1) return rows[0] && slices.decode(rows[0].data);
    const data = Buffer.concat(rows.map((row) => slices.decode(row.data)));
    // Dropped with the result: the slices, and the socket reads that carried them as text.
    noteBufferGarbage(data.length * SLICED_READ_GARBAGE_PER_BYTE);
    return data;
  }

  /** Fails unless the first `rows` chunk rows of `id` hold one whole zlib stream. */
  private async requireComplete(id: string, rows: number): Promise<void> {
    const stored = async function* (chunks: ObjectChunks) {
      for (let seq = 0; seq < rows; seq++) {
        const data = await chunks.readRow(id, seq);
        if (data) yield data;
      }
    };
    try {
      await pipeline(Readable.from(stored(this)), createInflate(), discard);
    } catch (error) {
      throw new MegaError(
        'internal',
        'object_corrupt',
        `stored object ${id} is cut short: its ${rows} chunk rows end inside its zlib stream`,
        { id, rows },
        { cause: error },
      );
    }
  }
}

/** Reads a stream to its end and drops what it reads. */
async function discard(source: AsyncIterable<unknown>): Promise<void> {
  for await (const piece of source) noteBufferGarbage((piece as Buffer).length);
}
