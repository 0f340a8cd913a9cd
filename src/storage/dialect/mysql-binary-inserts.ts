import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import type * as Mysql2 from 'mysql2';
import {
  EncodedBulkRows,
  encodeBulkExecutePacket,
  encodeBulkExecuteRows,
  singleRowInsert,
  takesBulkExecute,
  type SingleRowInsert,
} from './mysql-bulk-execute.js';
import { ExecutePacketCommand, encodeExecutePacket, type CommandConnection } from './mysql-execute-packet.js';

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

const INSERT = /^\s*insert\b/i;

/** mysql2's flag for query attributes, which change the execute packet (MySQL 8; not MariaDB). */
const CLIENT_QUERY_ATTRIBUTES = 0x08000000;

/**
 * Rows a multi-row INSERT needs to go as a bulk execute (`mysql-bulk-execute.ts`): an ingest's
 * batches (hundreds to thousands of rows); smaller inserts keep the statements they always had.
 */
const MIN_BULK_ROWS = 100;

/** An INSERT with a binary value among its parameters. */
function isBinaryInsert(statement: string, parameters: readonly unknown[]): boolean {
  return INSERT.test(statement) && parameters.some((value) => Buffer.isBuffer(value));
}

/** The parts of mysql2's connection our own execute packets use, where they are as expected. */
type EncodingConnection = CommandConnection & {
  readonly config: { readonly clientFlags: number };
  readonly serverCapabilityFlags?: number;
};

/**
 * The connection as one that takes our own execute packets: mysql2's command queue is there and
 * the server does not use query attributes (whose packet layout the encoder does not write).
 */
function encodingConnection(connection: Mysql2.PoolConnection): EncodingConnection | undefined {
  const candidate = connection as unknown as Partial<EncodingConnection>;
  if (
    typeof candidate.addCommand !== 'function' ||
    typeof candidate.writePacket !== 'function' ||
    typeof candidate._resetSequenceId !== 'function' ||
    typeof candidate.config?.clientFlags !== 'number'
  )
    return undefined;
  const flags = candidate.config.clientFlags & (candidate.serverCapabilityFlags ?? 0);
  return (flags & CLIENT_QUERY_ATTRIBUTES) === 0 ? (candidate as EncodingConnection) : undefined;
}

/**
 * Prepares `statement` (mysql2 caches it per connection) and sends the packet `encode` makes for
 * its statement id and parameter count, or runs `fallback` when `encode` makes none (a count it
 * does not expect, values it does not take).
 */
function sendPrepared(
  connection: Mysql2.PoolConnection,
  encoding: EncodingConnection,
  statement: string,
  encode: (statementId: number, parameterCount: number) => Buffer | undefined,
  fallback: () => void,
  callback: QueryCallback,
): void {
  connection.prepare(statement, (error, prepared) => {
    if (error) {
      callback(error, undefined as never);
      return;
    }
    const { id, parameters } = prepared as unknown as { id: number; parameters: unknown[] };
    const packet = encode(id, parameters.length);
    if (!packet) fallback();
    else encoding.addCommand(new ExecutePacketCommand(packet, callback as never));
  });
}

/**
 * Executes a binary insert: prepared by mysql2 (its per-connection statement cache), the values
 * encoded by `encodeExecutePacket` rather than by mysql2's per-parameter encoder; values that
 * encoder does not take go through mysql2's `execute`.
 */
function executeInsert(
  connection: Mysql2.PoolConnection,
  statement: string,
  parameters: unknown[],
  callback: QueryCallback,
): void {
  const encoding = encodingConnection(connection);
  const byMysql2 = () =>
    connection.execute(statement, parameters as Mysql2.ExecuteValues[], callback as never);
  if (!encoding) {
    byMysql2();
    return;
  }
  const encode = (id: number, count: number) =>
    count === parameters.length ? encodeExecutePacket(id, parameters) : undefined;
  sendPrepared(connection, encoding, statement, encode, byMysql2, callback);
}

/**
 * Executes a multi-row insert as its one-row statement (prepared once per connection, whatever the
 * row count) over all its rows in one `COM_STMT_BULK_EXECUTE` packet. Rows the bulk encoder does
 * not take go as the multi-row statement, as before.
 */
function bulkInsert(
  connection: Mysql2.PoolConnection,
  encoding: EncodingConnection,
  insert: { statement: string; parameters: unknown[]; single: SingleRowInsert },
  callback: QueryCallback,
): void {
  const { statement, parameters, single } = insert;
  const asBefore = () => {
    if (isBinaryInsert(statement, parameters)) executeInsert(connection, statement, parameters, callback);
    else connection.query(statement, parameters, callback as never);
  };
  const encode = (id: number, count: number) =>
    count === single.width ? encodeBulkExecutePacket(id, single.width, parameters) : undefined;
  sendPrepared(connection, encoding, single.statement, encode, asBefore, callback);
}

/**
 * Runs a one-row INSERT over rows already encoded (`EncodedBulkRows`, its one parameter) as one
 * bulk execute; on a connection that does not take one, or rows that would need splitting the
 * packet, as the multi-row statement of the same rows as plain values.
 */
function encodedRowsInsert(
  connection: Mysql2.PoolConnection,
  statement: string,
  rows: EncodedBulkRows,
  callback: QueryCallback,
): void {
  const asValues = () => {
    const values = rows.values();
    const tuple = `(${Array.from(rows.types, () => '?').join(', ')})`;
    const at = statement.lastIndexOf(tuple);
    const count = values.length / rows.types.length;
    const multiRow =
      statement.slice(0, at) +
      Array.from({ length: count }, () => tuple).join(', ') +
      statement.slice(at + tuple.length);
    connection.query(multiRow, values, callback as never);
  };
  const encoding = takesBulkExecute(connection) ? encodingConnection(connection) : undefined;
  if (!encoding) {
    asValues();
    return;
  }
  const encode = (id: number, count: number) =>
    count === rows.types.length ? encodeBulkExecuteRows(id, rows) : undefined;
  sendPrepared(connection, encoding, statement, encode, asValues, callback);
}

/** The insert as a bulk execute, when the connection and the statement allow one. */
function bulkForm(
  connection: Mysql2.PoolConnection,
  statement: string,
  parameters: readonly unknown[],
): { encoding: EncodingConnection; single: SingleRowInsert } | undefined {
  if (parameters.length < MIN_BULK_ROWS || !takesBulkExecute(connection) || !INSERT.test(statement))
    return undefined;
  const encoding = encodingConnection(connection);
  const single = encoding && knownSingleRowInsert(statement, parameters.length);
  return encoding && single ? { encoding, single } : undefined;
}

/** Statements `knownSingleRowInsert` has read, with the parameter count it read each for. */
const singleRowForms = new Map<string, { count: number; single: SingleRowInsert | undefined }>();
/**
 * An ingest's inserters send a handful of such statements (one per table and row count); the map
 * starts over when full, so it keeps at most this many (~50 KB each at 2,000 rows).
 */
const MAX_SINGLE_ROW_FORMS = 16;

/**
 * `singleRowInsert` of a statement, remembered: `BulkInserter` hands out one string per table
 * and row count, so an ingest sends the same few statements of thousands of tuples again and
 * again, and reading one (~0.2 ms for 2,000 rows of 8 values) is the same answer each time.
 */
function knownSingleRowInsert(statement: string, parameterCount: number): SingleRowInsert | undefined {
  const known = singleRowForms.get(statement);
  if (known?.count === parameterCount) return known.single;
  const single = singleRowInsert(statement, parameterCount, MIN_BULK_ROWS);
  if (singleRowForms.size >= MAX_SINGLE_ROW_FORMS) singleRowForms.clear();
  singleRowForms.set(statement, { count: parameterCount, single });
  return single;
}

/** The pool Kysely gets for MySQL, which also tells whether its connections take bulk executes. */
export interface BinaryInsertPool extends MysqlPool {
  /**
   * Whether the connection it handed out last announced bulk operations (`bulkInsert`). All its
   * connections go to one server with one handshake, so that one speaks for the others; false
   * until a connection was handed out.
   */
  takesBulkExecute(): boolean;
}

/**
 * The pool Kysely gets for MySQL. mysql2's text protocol (`query`) formats every parameter into
 * the SQL text, a Buffer as hex: a 2,000-row insert of pack-ready payloads becomes a statement
 * twice their size that the client builds character by character and the server parses again.
 * An INSERT carrying binary values goes through the binary protocol instead (`execute`: a prepared statement, cached per connection by mysql2, with the
 * values sent as they are, in a packet we encode: `mysql-execute-packet.ts`). Other
 * statements keep the text protocol, so what reads return is unchanged. On MariaDB, where the
 * connection announced bulk operations, a multi-row INSERT of at least `MIN_BULK_ROWS` rows goes
 * as one bulk execute of its one-row statement (`bulkInsert`), text values or not.
 */
export function binaryInsertPool(pool: Mysql2.Pool): BinaryInsertPool {
  // One wrapper per connection: Kysely keeps its own state per connection object it is given.
  const wrappers = new WeakMap<Mysql2.PoolConnection, MysqlPoolConnection>();
  let bulk = false;
  const wrap = (connection: Mysql2.PoolConnection): MysqlPoolConnection => {
    bulk = takesBulkExecute(connection) && encodingConnection(connection) !== undefined;
    let wrapper = wrappers.get(connection);
    if (!wrapper) {
      const query = ((statement: string, parameters: unknown[], callback?: QueryCallback) => {
        const encoded = parameters.length === 1 && parameters[0] instanceof EncodedBulkRows;
        if (callback && encoded) {
          encodedRowsInsert(connection, statement, parameters[0] as EncodedBulkRows, callback);
          return undefined;
        }
        const bulk = callback && bulkForm(connection, statement, parameters);
        if (bulk) {
          bulkInsert(connection, bulk.encoding, { statement, parameters, single: bulk.single }, callback!);
          return undefined;
        }
        if (callback && isBinaryInsert(statement, parameters)) {
          executeInsert(connection, statement, parameters, callback);
          return undefined;
        }
        return callback
          ? connection.query(statement, parameters, callback as never)
          : connection.query(statement, parameters);
      }) as MysqlPoolConnection['query'];
      wrapper = { query, release: () => connection.release() };
      wrappers.set(connection, wrapper);
    }
    return wrapper;
  };
  return {
    getConnection(callback) {
      pool.getConnection((error, connection) => {
        if (error) callback(error, undefined as never);
        else callback(null, wrap(connection));
      });
    },
    end: (callback) => pool.end(callback),
    takesBulkExecute: () => bulk,
  };
}
