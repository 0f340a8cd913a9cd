import { DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, sql } from 'kysely';
import type * as Mysql2 from 'mysql2';
import { describe, expect, it } from 'vitest';
import { MYSQL_CAPABILITIES } from './capabilities.js';
import { binaryInsertPool } from './mysql-binary-inserts.js';
import { queryThroughPool } from '../../../tests/support/mysql-pool.js';

/** A pool whose one connection records which protocol each statement went through. */
function recordingPool() {
  const calls: { protocol: 'text' | 'binary'; statement: string }[] = [];
  let released = 0;
  const connection = {
    query: (
      statement: string,
      _parameters: unknown[],
      callback?: (error: unknown, result: unknown) => void,
    ) => {
      calls.push({ protocol: 'text', statement });
      callback?.(null, []);
      return { stream: () => [] };
    },
    execute: (
      statement: string,
      _parameters: unknown[],
      callback: (error: unknown, result: unknown) => void,
    ) => {
      calls.push({ protocol: 'binary', statement });
      callback(null, { affectedRows: 1, insertId: 0 });
    },
    release: () => {
      released++;
    },
  };
  const pool = {
    getConnection: (callback: (error: unknown, connection: unknown) => void) => callback(null, connection),
    end: (callback: (error: unknown) => void) => callback(null),
  };
  return { pool: pool as unknown as Mysql2.Pool, calls, released: () => released };
}

describe('binaryInsertPool', () => {
  it('sends inserts with binary values through the binary protocol, everything else as text', async () => {
    const recorded = recordingPool();
    const pool = binaryInsertPool(recorded.pool);
    await queryThroughPool(pool, 'insert ignore into `raw_objects` (`data`) values (?)', [
      Buffer.from([0, 1]),
    ]);
    await queryThroughPool(pool, '  INSERT into t (a) values (?)', ['x', Buffer.alloc(0)]);
    await queryThroughPool(pool, 'insert into t (a) values (?)', ['no binary']);
    await queryThroughPool(pool, 'select * from t where data = ?', [Buffer.from([1])]);
    await queryThroughPool(pool, 'update t set data = ?', [Buffer.from([1])]);
    expect(recorded.calls.map((call) => call.protocol)).toEqual(['binary', 'binary', 'text', 'text', 'text']);
    expect(recorded.released()).toBe(5);
  });

  it('gives Kysely the same wrapper for the same connection (it keeps state per connection)', async () => {
    const recorded = recordingPool();
    const pool = binaryInsertPool(recorded.pool);
    const first = await new Promise((resolve) => pool.getConnection((_e, connection) => resolve(connection)));
    const second = await new Promise((resolve) =>
      pool.getConnection((_e, connection) => resolve(connection)),
    );
    expect(first).toBe(second);
  });

  it('sends a membership insert of an id list through the binary protocol, its JSON as bytes', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- compile-only, no schema
    const db = new Kysely<any>({
      dialect: {
        createAdapter: () => new MysqlAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (kysely) => new MysqlIntrospector(kysely),
        createQueryCompiler: () => new MysqlQueryCompiler(),
      },
    });
    const ids = ['a'.repeat(40), 'b'.repeat(40)];
    const query = db
      .insertInto('repository_objects')
      .columns(['repo_id', 'git_id'])
      .expression(
        db
          .selectFrom(MYSQL_CAPABILITIES.idList(ids).as('listed'))
          .select([sql.lit(1).as('repo_id'), 'listed.id']),
      )
      .compile();
    expect(query.parameters).toEqual([Buffer.from(JSON.stringify(ids))]);
    const recorded = recordingPool();
    await queryThroughPool(binaryInsertPool(recorded.pool), query.sql, [...query.parameters]);
    expect(recorded.calls.map((call) => call.protocol)).toEqual(['binary']);
  });
});
