import type { InsertQueryBuilder, InsertResult } from 'kysely';
import type { DialectCapabilities } from './dialect/capabilities.js';

/**
 * Makes an INSERT skip rows whose unique key already exists, as the dialect spells it
 * (`ON CONFLICT DO NOTHING` or `INSERT IGNORE`). Used for content-addressed rows, where an
 * existing row is by definition the same content.
 */
export function insertIgnore<DB, TB extends keyof DB>(
  query: InsertQueryBuilder<DB, TB, InsertResult>,
  capabilities: DialectCapabilities,
): InsertQueryBuilder<DB, TB, InsertResult> {
  return capabilities.insertIgnore === 'insert-ignore'
    ? query.ignore()
    : query.onConflict((conflict) => conflict.doNothing());
}
