import type BetterSqlite3 from 'better-sqlite3';

/**
 * Empties an idle SQLite connection's page cache once a big job is over (registered with
 * `heap-release`'s idle collection, which then trims the C heap: `c-heap-trim.ts`).
 *
 * Why: the cache's pages (16 KiB, below `MALLOC_MMAP_THRESHOLD_`) are malloc'd in glibc's brk
 * heap, up to the 32 MiB `cache_size` per connection, and stay between the push's other chunks;
 * the trim can only give back pages nothing uses. `shrink_memory` alone left 134 MB free and
 * resident after the large push; with the trim after it the idle server kept ~105 MB
 * (docs/scale.md, "The idle server's C heap given back…").
 */
export function releaseSqliteMemory(connection: BetterSqlite3.Database): void {
  // Inside a transaction the cache holds the transaction's pages.
  if (connection.open && !connection.inTransaction) connection.pragma('shrink_memory');
}
