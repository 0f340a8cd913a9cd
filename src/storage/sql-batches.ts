import type { DialectCapabilities } from './dialect/capabilities.js';

/** The current time as the schema's timestamp text (ISO-8601 UTC). */
export function nowTimestamp(): string {
  return new Date().toISOString();
}

/**
 * Splits rows for multi-row statements: at most `maxBindParams` bound values and about
 * `maxStatementBytes` of payload per statement (MariaDB's `max_allowed_packet`).
 * `parametersPerRow` is 0 when rows travel as column arrays (no per-row parameters).
 */
export function* batchRows<T>(
  rows: readonly T[],
  capabilities: DialectCapabilities,
  parametersPerRow: number,
  bytesOf: (row: T) => number = () => 0,
): Generator<T[]> {
  const maxRows =
    parametersPerRow > 0 ? Math.max(1, Math.floor(capabilities.maxBindParams / parametersPerRow)) : Infinity;
  let batch: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = bytesOf(row);
    if (batch.length > 0 && (batch.length >= maxRows || bytes + size > capabilities.maxStatementBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** Chunks of ids small enough for one `IN (…)` list. */
export function* batchIds<T>(
  ids: readonly T[],
  capabilities: DialectCapabilities,
  reserved = 0,
): Generator<T[]> {
  const size = Math.max(1, Math.min(capabilities.maxBindParams - reserved, MAX_IDS_PER_QUERY));
  for (let start = 0; start < ids.length; start += size) yield ids.slice(start, start + size);
}

/** Long IN lists get slow to plan on every database well before the bind limit. */
const MAX_IDS_PER_QUERY = 5000;
