import type { PostgresCursor } from 'kysely';
import { MegaError } from '../../platform/errors.js';
import { CopyBinaryDecoder, type CopyTuple } from './copy-binary-decoder.js';

/**
 * Decoded tuples held for the reader before the socket is paused: a few chunk rows' worth, so a
 * slow consumer (a clone's client) leaves the rest in the kernel's and the server's buffers.
 */
const HIGH_WATER_BYTES = 512 * 1024;

/** The only statement shape this cursor runs: one binary COPY of a query's rows to us. */
const COPY_OUT_STATEMENT = /^copy\s*\([\s\S]+\)\s*to\s+stdout\s*\(\s*format\s+binary\s*\)\s*$/i;

/** The part of node-postgres's connection a query object talks to (pg/lib/connection.js). */
interface PgConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
  readonly stream: { pause(): void; resume(): void };
}

interface PendingRead {
  readonly count: number;
  resolve(rows: CopyTuple[]): void;
  reject(error: unknown): void;
}

/**
 * Streams `COPY (SELECT …) TO STDOUT (FORMAT binary)` as rows of raw field bytes, as the
 * `cursor` of Kysely's PostgreSQL dialect (what `executor.stream` runs). node-postgres hands
 * every DataRow field over as a JS string (`bytea` as hex text), but CopyData as bytes: a chunk
 * row then costs no string and no text decoding. A query object of node-postgres (the
 * `submit` / `handle…` protocol of pg/lib/query.js): the client sends the statement when the
 * connection is free and passes it every backend message until ReadyForQuery.
 *
 * Guarantees: the statement takes no parameters (COPY cannot bind them; callers put validated
 * literals in its text) and must be a binary COPY to STDOUT, else the constructor throws; at most
 * ~`HIGH_WATER_BYTES` of tuples wait for `read` (the socket is paused beyond); `close` before
 * the end reads the rest of the COPY and drops it, and resolves once the server is ready for
 * the next statement, so the connection goes back to the pool usable.
 */
export class PostgresCopyCursor implements PostgresCursor<CopyTuple> {
  private readonly decoder = new CopyBinaryDecoder();
  private connection: PgConnection | undefined;
  private readonly tuples: CopyTuple[] = [];
  private queuedBytes = 0;
  private paused = false;
  private discarding = false;
  private failure: unknown;
  /** CommandComplete arrived: no more tuples. */
  private complete = false;
  /** The connection is free again (ReadyForQuery, or an error after which the client waits for it). */
  private settled = false;
  private pending: PendingRead | undefined;
  private readonly waitingForSettled: (() => void)[] = [];

  constructor(
    readonly text: string,
    parameters: readonly unknown[],
  ) {
    if (parameters.length > 0) {
      throw new MegaError('internal', 'copy_statement', 'a COPY statement cannot take bound parameters');
    }
    if (!COPY_OUT_STATEMENT.test(text)) {
      throw new MegaError(
        'internal',
        'copy_statement',
        'only COPY (…) TO STDOUT (FORMAT binary) streams here',
      );
    }
  }

  submit(connection: PgConnection): void {
    this.connection = connection;
    connection.query(this.text);
  }

  /** Up to `count` tuples, waiting for the first; none once the COPY has ended. */
  read(count: number): Promise<CopyTuple[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.tuples.length > 0 || this.complete || this.settled) return Promise.resolve(this.take(count));
    if (this.pending) return Promise.reject(new Error('a COPY cursor reads one batch at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { count, resolve, reject };
    });
  }

  /** Drops what is left of the COPY and resolves once the connection can run the next statement. */
  close(): Promise<void> {
    this.discarding = true;
    this.tuples.length = 0;
    this.queuedBytes = 0;
    this.resume();
    if (this.settled || !this.connection) return Promise.resolve();
    return new Promise((resolve) => this.waitingForSettled.push(resolve));
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.discarding) return;
    try {
      this.decoder.push(message.chunk, (tuple) => {
        this.tuples.push(tuple);
        this.queuedBytes += tupleBytes(tuple);
      });
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.pending && this.tuples.length > 0) {
      const { count, resolve } = this.pending;
      this.pending = undefined;
      resolve(this.take(count));
    }
    if (this.queuedBytes >= HIGH_WATER_BYTES && !this.paused) {
      this.paused = true;
      this.connection?.stream.pause();
    }
  }

  handleCommandComplete(): void {
    if (!this.discarding && this.failure === undefined) {
      try {
        this.decoder.finish();
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    this.complete = true;
    this.answerPending();
  }

  handleReadyForQuery(): void {
    this.settle();
  }

  /**
   * An ErrorResponse (the client then waits for ReadyForQuery without us) or a dead connection
   * (the pool drops it): either way nothing more comes for this statement.
   */
  handleError(error: unknown): void {
    this.fail(error);
    this.settle();
  }

  // Answers a statement that is not a COPY to STDOUT would get; the constructor refuses those.
  handleRowDescription(): void {
    this.fail(new MegaError('internal', 'copy_statement', 'the COPY statement returned rows'));
  }

  handleDataRow(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: PgConnection): void {
    this.fail(new MegaError('internal', 'copy_statement', 'the COPY statement asked for input'));
    connection.sendCopyFail('mega reads with this statement, it sends nothing');
  }

  private take(count: number): CopyTuple[] {
    const rows = this.tuples.splice(0, Math.max(count, 1));
    for (const row of rows) this.queuedBytes -= tupleBytes(row);
    if (this.paused && this.queuedBytes < HIGH_WATER_BYTES) this.resume();
    return rows;
  }

  /** Keeps the first failure for the reader; what else arrives for this statement is dropped. */
  private fail(error: unknown): void {
    this.failure ??= error;
    this.discarding = true;
    this.tuples.length = 0;
    this.queuedBytes = 0;
    this.resume();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }

  private answerPending(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    if (this.failure !== undefined) pending.reject(this.failure);
    else pending.resolve(this.take(pending.count));
  }

  private settle(): void {
    this.settled = true;
    this.resume();
    this.answerPending();
    for (const wake of this.waitingForSettled.splice(0)) wake();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection?.stream.resume();
  }
}

function tupleBytes(tuple: CopyTuple): number {
  let bytes = 0;
  for (const field of tuple) bytes += field?.length ?? 0;
  return bytes;
}
