import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import type * as Mysql2 from 'mysql2';
import { ExecutePacketCommand, encodeExecutePacket, type CommandConnection } from './mysql-execute-packet.js';

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

const INSERT = /^\s*insert\b/i;

/** mysql2's flag for query attributes, which change the execute packet (MySQL 8; not MariaDB). */
const CLIENT_QUERY_ATTRIBUTES = 0x08000000;

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
  connection.prepare(statement, (error, prepared) => {
    if (error) {
      callback(error, undefined as never);
      return;
    }
    const { id, parameters: expected } = prepared as unknown as { id: number; parameters: unknown[] };
    const packet = expected.length === parameters.length ? encodeExecutePacket(id, parameters) : undefined;
    if (!packet) byMysql2();
    else encoding.addCommand(new ExecutePacketCommand(packet, callback as never));
  });
}

/**
 * The pool Kysely gets for MySQL. mysql2's text protocol (`query`) formats every parameter into
 * the SQL text, a Buffer as hex: a 2,000-row insert of pack-ready payloads becomes a statement
 * twice their size that the client builds character by character and the server parses again.
 * An INSERT carrying binary values goes through the binary protocol instead (`execute`: a prepared statement, cached per connection by mysql2, with the
 * values sent as they are, in a packet we encode: `mysql-execute-packet.ts`). Other
 * statements keep the text protocol, so what reads return is unchanged.
 */
export function binaryInsertPool(pool: Mysql2.Pool): MysqlPool {
  // One wrapper per connection: Kysely keeps its own state per connection object it is given.
  const wrappers = new WeakMap<Mysql2.PoolConnection, MysqlPoolConnection>();
  const wrap = (connection: Mysql2.PoolConnection): MysqlPoolConnection => {
    let wrapper = wrappers.get(connection);
    if (!wrapper) {
      const query = ((statement: string, parameters: unknown[], callback?: QueryCallback) => {
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
  };
}
