import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Runs `work` in a transaction, or directly when `db` already is one, so stores can be composed
 * inside a caller's transaction (e.g. ingest + ref update of one push) without nesting.
 */
export function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute(work);
}
