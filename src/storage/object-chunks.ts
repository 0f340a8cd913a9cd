import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflate } from 'node:zlib';
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { BlobCopy, DialectCapabilities } from './dialect/capabilities.js';
import type { CopyTuple } from './dialect/copy-binary-decoder.js';
import { objectIdLiteral, rowKeyLiteral } from './dialect/copy-literals.js';
import { insertIgnore } from './insert-ignore.js';

/**
 * Largest piece of an object per row. 256 KiB rather than 1 MiB: the bench of 10 files of 5 MiB
 * (SQLite) peaked at 195 MB server RSS on push and 152 MB on clone instead of 220 and 180 MB,
 * at no measurable cost in time.
 */
const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * Chunk rows per binary COPY (256 KiB of data), read whole before they are handed on: what a
 * reader holds beyond the consumer. Windows of 2 rows peaked at 131–135 MB in the clone bench,
 * of 1 row at 127–132 (docs/scale.md): no clear difference, and one row holds less.
 */
const ROWS_PER_COPY = 1;

/** Tuples (slices) handed over per read of the COPY cursor: a chunk row. */
const TUPLES_PER_READ = 8;

/**
 * Bytes of buffers a copied read leaves behind per byte it returns: the slice, and the socket
 * read that carried it.
 */
const COPIED_READ_GARBAGE_PER_BYTE = 2;

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
 * ahead of the consumer, or where the dialect streams raw bytes (`blobCopy`), 32 KiB slices of
 * one row per binary COPY. Content-addressed writes go through `writeOnce`, so two pushes of the
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
   * The stored stream of `id` in order. Rows carry no count, so a stream cut short (later rows
   * lost) is told by its last row: every row but the last is full (as long as the first, or this
   * database's chunk size for a lone row), so a stream is cut short at most when its last row is
   * full. That happens on its own only when the stream is an exact multiple of the chunk size
   * (about one object in 256k): then the stored stream is inflated once more to decide.
   */
  private async *pieces(id: string): AsyncGenerator<Buffer> {
    const tally: RowTally = { rows: 0, firstLength: 0, lastLength: 0 };
    for await (const piece of this.storedPieces(id, tally)) yield piece;
    if (tally.rows === 0) {
      throw new MegaError('internal', 'object_missing', 'stored object has no data', { id });
    }
    const fullLength = tally.rows > 1 ? tally.firstLength : this.size;
    if (tally.lastLength >= fullLength) await this.requireComplete(id, tally.rows);
  }

  /** The rows of `id` from 0 up to the first missing one, in pieces; `tally` counts the rows. */
  private storedPieces(id: string, tally: RowTally): AsyncIterable<Buffer> {
    const copy = this.capabilities.blobCopy;
    return copy ? this.copiedPieces(id, copy, tally) : this.rowPieces(id, tally);
  }

  /** One query per row, each row one piece. */
  private async *rowPieces(id: string, tally: RowTally): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const data = await this.readRow(id, seq);
      if (!data) return;
      countRow(tally, data.length);
      // Each row is a fresh buffer the consumer drops once sent or copied.
      noteBufferGarbage(data.length);
      yield data;
    }
  }

  /**
   * One binary COPY per `ROWS_PER_COPY` rows, each slice one piece (never joined into its row).
   * A window is read whole before its slices are handed on, so the connection goes back to the
   * pool at the database's pace, not at the pace of the consumer (a clone's client); holding it
   * through the consumer's backpressure would let slow clients take the whole pool.
   */
  private async *copiedPieces(id: string, copy: BlobCopy, tally: RowTally): AsyncGenerator<Buffer> {
    let rowLength = 0;
    for (let from = 0; ; from += ROWS_PER_COPY) {
      for (const [seq, slice] of await this.copyWindow(copy, id, from)) {
        if (seq === tally.rows) {
          // A new row: the one before it is whole.
          if (seq > 0) countRowEnd(tally, rowLength);
          tally.rows++;
          rowLength = 0;
        } else if (seq !== tally.rows - 1) {
          // A missing row ends the stream, as it does for `rowPieces`.
          countRowEnd(tally, rowLength);
          return;
        }
        rowLength += slice.length;
        noteBufferGarbage(slice.length * COPIED_READ_GARBAGE_PER_BYTE);
        yield slice;
      }
      if (tally.rows < from + ROWS_PER_COPY) break;
    }
    if (tally.rows > 0) countRowEnd(tally, rowLength);
  }

  /** The slices of rows `from` to `from + ROWS_PER_COPY` (excluded) of `id`, with their `seq`. */
  private async copyWindow(copy: BlobCopy, id: string, from: number): Promise<[number, Buffer][]> {
    const statement = this.copyStatement(copy, id, from, from + ROWS_PER_COPY);
    const slices: [number, Buffer][] = [];
    // Kysely streams only its query builders publicly; a raw statement streams through the
    // executor (marked internal in its types, so a Kysely upgrade must re-run the COPY tests).
    for await (const { rows } of this.db.getExecutor().stream(statement, TUPLES_PER_READ)) {
      for (const tuple of rows) slices.push(copiedSlice(tuple));
    }
    return slices;
  }

  /**
   * The binary COPY of rows `from` to `to` (excluded) of `id`, in slices. COPY binds no
   * parameters: the id and the bounds go into its text only through the strict checks of
   * `copy-literals.ts`.
   */
  private copyStatement(copy: BlobCopy, id: string, from: number, to: number): CompiledQuery<CopyTuple> {
    const length = sql<number>`greatest(octet_length(data), 1)`;
    // An empty row still yields one (empty) slice, so it is told from a missing one.
    const query = sql`
      select seq::int4, ${copy.slice(sql.ref('data'), sql.ref('at'))}
      from object_chunks cross join lateral ${copy.offsets(length)}
      where git_id = ${objectIdLiteral(id)} and seq >= ${rowKeyLiteral(from)} and seq < ${rowKeyLiteral(to)}
      order by seq, at`;
    return copy.statement(query).compile(this.db) as CompiledQuery<CopyTuple>;
  }

  /** Chunk row `seq` of `id`. */
  private async readRow(id: string, seq: number): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('object_chunks')
      .select('data')
      .where('git_id', '=', id)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && (Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data));
  }

  /** Fails unless the first `rows` chunk rows of `id` hold one whole zlib stream. */
  private async requireComplete(id: string, rows: number): Promise<void> {
    const tally: RowTally = { rows: 0, firstLength: 0, lastLength: 0 };
    try {
      await pipeline(Readable.from(this.storedPieces(id, tally)), createInflate(), discard);
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

/** Rows seen of a stored stream, and the lengths that tell whether it may be cut short. */
interface RowTally {
  rows: number;
  firstLength: number;
  lastLength: number;
}

function countRow(tally: RowTally, length: number): void {
  tally.rows++;
  countRowEnd(tally, length);
}

/** The row `tally.rows - 1` ended at `length` bytes. */
function countRowEnd(tally: RowTally, length: number): void {
  if (tally.rows === 1) tally.firstLength = length;
  tally.lastLength = length;
}

/** A COPY tuple of `copyStatement`: the row's `seq` (int4) and a slice of its data. */
function copiedSlice(tuple: CopyTuple): [number, Buffer] {
  const [seq, slice] = tuple;
  if (tuple.length !== 2 || seq?.length !== 4 || !slice) {
    throw new MegaError('internal', 'copy_malformed', 'a chunk row slice arrived in an unexpected shape');
  }
  return [seq.readInt32BE(0), slice];
}

/** Reads a stream to its end and drops what it reads. */
async function discard(source: AsyncIterable<unknown>): Promise<void> {
  for await (const piece of source) noteBufferGarbage((piece as Buffer).length);
}
