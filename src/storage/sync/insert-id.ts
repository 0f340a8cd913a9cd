import type { InsertQueryBuilder, InsertResult } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/** Runs an INSERT and returns the new auto id, with RETURNING where the dialect has it. */
export async function insertReturningId(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  insert: InsertQueryBuilder<Database, any, InsertResult>,
  capabilities: DialectCapabilities,
): Promise<number> {
  if (capabilities.supportsReturning) {
    const row = (await insert.returning('id' as never).executeTakeFirstOrThrow()) as { id: number | string };
    return Number(row.id);
  }
  const result = await insert.executeTakeFirstOrThrow();
  return Number(result.insertId);
}

export const nowIso = (): string => new Date().toISOString();
