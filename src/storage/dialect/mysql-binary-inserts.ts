import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import type * as Mysql2 from 'mysql2';

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

const INSERT = /^\s*insert\b/i;

/** An INSERT with a binary value among its parameters. */
function isBinaryInsert(statement: string, parameters: readonly unknown[]): boolean {
  return INSERT.test(statement) && parameters.some((value) => Buffer.isBuffer(value));
}

/**
 * The pool Kysely gets for MySQL. mysql2's text protocol (`query`) formats every parameter into
 * the SQL text, a Buffer as hex: a 2,000-row insert of pack-ready payloads becomes a statement
 * twice their size that the client builds character by character and the server parses again.
 * An INSERT carrying binary values goes through the binary protocol instead (`execute`: a
 * prepared statement, cached per connection by mysql2, with the values sent as they are). Other
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
          connection.execute(statement, parameters as Mysql2.ExecuteValues[], callback as never);
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
