import type { MysqlPool } from 'kysely';

/** Runs one statement on a connection taken from `pool` (as Kysely does) and releases it. */
export function queryThroughPool(pool: MysqlPool, statement: string, parameters: unknown[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    pool.getConnection((error, connection) => {
      if (error) return reject(error as Error);
      connection.query(statement, parameters, (queryError) => {
        connection.release();
        if (queryError) reject(queryError as Error);
        else resolve();
      });
    });
  });
}
