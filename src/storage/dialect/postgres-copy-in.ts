import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { PostgresCursor } from 'kysely';
import { MegaError } from '../../platform/errors.js';

/** The only statement shape this runs: one binary COPY from us into a table's listed columns. */
export const COPY_IN_STATEMENT =
  /^copy\s+"\w+"\s*\(\s*"\w+"(?:\s*,\s*"\w+")*\s*\)\s*from\s+stdin\s*\(\s*format\s+binary\s*\)\s*$/i;
/**
 * CopyData messages of at most this many bytes: the server reads a message whole before it
 * parses it, and the driver copies each into its write buffer.
 */
const MESSAGE_BYTES = 1024 * 1024;

/** The part of node-postgres's connection this talks to (pg/lib/connection.js). */
interface PgConnection {
  /** The socket; absent in tests' fakes. */
  readonly stream?: Writable;
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** A CopyData message's type byte ('d') and int32 length (of itself and the data). */
const COPY_DATA = 0x64;
const COPY_DATA_HEADER_BYTES = 5;

/**
 * Sends `chunk` as one CopyData message. On a socket the message's header and the chunk are
 * written as they are (one `writev`): the driver's `sendCopyFromChunk` copies each chunk into a
 * fresh buffer of its size first, a copy of every byte of every COPY into newly mapped pages
 * (docs/scale.md, "PostgreSQL's object rows from the raw ids"). The chunk must not change until
 * the socket has written it: the pieces of a COPY are made for it and never reused.
 */
function sendCopyData(connection: PgConnection, chunk: Buffer): void {
  const stream = connection.stream;
  if (!stream) {
    connection.sendCopyFromChunk(chunk);
    return;
  }
  // A closed connection: the query ends with the connection's error, not with this write's.
  if (!stream.writable) return;
  const header = Buffer.allocUnsafe(COPY_DATA_HEADER_BYTES);
  header[0] = COPY_DATA;
  header.writeInt32BE(COPY_DATA_HEADER_BYTES - 1 + chunk.length, 1);
  stream.cork();
  stream.write(header);
  stream.write(chunk);
  stream.uncork();
}

/**
 * Runs `COPY "table" ("column", …) FROM STDIN (FORMAT binary)` with its data, the one Buffer
 * parameter (`copy-binary-encoder.ts`), as a query object of node-postgres (the `submit` /
 * `handle…` protocol of pg/lib/query.js), reached like `PostgresCopyCursor` through Kysely's
 * `executor.stream`, so it runs on the transaction's connection. Rows arrive as their bytes: no
 * array to unpack, no `ON CONFLICT` probe per row (see `BulkInserter`). The data is a Buffer or
 * pieces of Buffers made as they are asked for (`encodeCopyBinaryPieces`): the next piece is made
 * once the socket has taken the last, so a batch of many megabytes is not a second and third time
 * in memory (encoded, and framed in the driver's write queue) while the server reads it. `read` yields no rows: it
 * resolves `[]` once the server is ready for the next statement, or rejects with its error
 * (a malformed stream or a violated key fails the whole COPY, which inserts nothing).
 */
export class PostgresCopyIn implements PostgresCursor<never> {
  private readonly data: Iterable<Buffer>;
  private failure: unknown;
  private settled = false;
  private readonly waiting: { resolve(rows: never[]): void; reject(error: unknown): void }[] = [];
  /** Resolves when the COPY is over, however it ended (the sender stops waiting for a drain). */
  private readonly ended = new Promise<void>((resolve) =>
    this.waiting.push({ resolve: () => resolve(), reject: () => resolve() }),
  );

  constructor(
    readonly text: string,
    parameters: readonly unknown[],
  ) {
    if (!COPY_IN_STATEMENT.test(text)) {
      throw new MegaError(
        'internal',
        'copy_statement',
        'only COPY "table" (…) FROM STDIN (FORMAT binary) runs here',
      );
    }
    const data = parameters[0];
    if (parameters.length !== 1 || !isCopyData(data)) {
      throw new MegaError(
        'internal',
        'copy_statement',
        'a COPY from us takes its data as one Buffer or an iterable of Buffers',
      );
    }
    this.data = Buffer.isBuffer(data) ? [data] : data;
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    void this.send(connection);
  }

  /**
   * Sends the data, waiting for the socket to drain between pieces. Stops when the COPY has
   * ended meanwhile (the server's error, a dead connection: the rest would be dropped). A piece
   * that cannot be made (not a Buffer, or its maker throws) ends the COPY with CopyFail, so the
   * server inserts nothing and the connection stays usable; `read` rejects with that error.
   */
  private async send(connection: PgConnection): Promise<void> {
    try {
      for (const piece of this.data) {
        if (!Buffer.isBuffer(piece)) throw new TypeError('a piece of COPY data that is not a Buffer');
        for (let at = 0; at < piece.length; at += MESSAGE_BYTES) {
          if (this.settled) return;
          sendCopyData(connection, piece.subarray(at, at + MESSAGE_BYTES));
          const stream = connection.stream;
          if (stream?.writableNeedDrain) await Promise.race([once(stream, 'drain'), this.ended]);
        }
      }
    } catch (error) {
      this.failure ??= error;
      if (!this.settled) connection.sendCopyFail(error instanceof Error ? error.message : String(error));
      return;
    }
    if (!this.settled) connection.endCopyFrom();
  }

  /** Resolves `[]` once the COPY is over; rejects with its error. */
  read(): Promise<never[]> {
    if (this.settled) return this.failure === undefined ? Promise.resolve([]) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ resolve: () => resolve(), reject: () => resolve() }));
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.settle();
  }

  /** An ErrorResponse (the client then waits for ReadyForQuery without us) or a dead connection. */
  handleError(error: unknown): void {
    this.failure ??= error;
    this.settle();
  }

  // Answers a statement that is not a COPY from us would get; the constructor refuses those.
  handleRowDescription(): void {
    this.failure ??= new MegaError('internal', 'copy_statement', 'the COPY statement returned rows');
  }

  handleDataRow(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyData(): void {}

  private settle(): void {
    this.settled = true;
    for (const { resolve, reject } of this.waiting.splice(0)) {
      if (this.failure === undefined) resolve([]);
      else reject(this.failure);
    }
  }
}

function isCopyData(value: unknown): value is Buffer | Iterable<Buffer> {
  return (
    Buffer.isBuffer(value) ||
    (typeof value === 'object' && value !== null && Symbol.iterator in value && !Array.isArray(value))
  );
}
