import type BetterSqlite3 from 'better-sqlite3';

/**
 * Empties an idle SQLite connection's page cache and hands the C heap's free pages back to the
 * system, once a big job is over (called by `heap-release`'s idle collection).
 *
 * Why both: after the first push of 497k objects the idle server's glibc heap (`[heap]`, the brk
 * area) was ~140 MB resident with ~100 MB of it free, spread between live chunks, among them the
 * 32 MiB page cache's 16 KiB pages (below `MALLOC_MMAP_THRESHOLD_`, so malloc'd there). glibc's
 * `free` only ever gives back the heap's top; `shrink_memory` alone left 134 MB free and resident.
 * `malloc_trim` releases every free page wherever it lies: the idle server went from ~230 to
 * ~105 MB (docs/scale.md, "The idle server's C heap…").
 *
 * Node has no call for `malloc_trim`, and this project builds no native code. SQLite's extension
 * loader is a `dlopen` plus one call of a named function with the connection's handle as its first
 * argument, so loading glibc's `libc.so.6` (already mapped; `dlopen` only counts a reference)
 * with `malloc_trim` as the entry point calls `malloc_trim(pad)` with that pointer as `pad`: the
 * bins' free pages are released whatever `pad` is, and a pad that large only leaves the heap's
 * top as it is (`free` trims that already). Its result, 1 when it released pages, reads to SQLite
 * as a failed initialisation, which is expected here. Elsewhere (musl, macOS) the library or the
 * symbol is missing and the first failure turns the trim off for the process.
 */

/** SQLite's message when an entry point returned non-zero: `malloc_trim` released something. */
const RELEASED_MESSAGE = 'error during initialization';
const GLIBC = 'libc.so.6';
const TRIM_ENTRY_POINT = 'malloc_trim';

/** Off after a failure that is not the expected one: this C library has no `malloc_trim`. */
let trimAvailable = process.platform === 'linux';

/** Drops the connection's cached pages (not inside a transaction) and trims the C heap. */
export function releaseSqliteMemory(connection: BetterSqlite3.Database): void {
  if (!connection.open) return;
  if (!connection.inTransaction) connection.pragma('shrink_memory');
  if (trimAvailable) trimCHeap(connection);
}

/** better-sqlite3 hands an entry point on to SQLite; its type declarations omit it. */
type ExtensionLoader = (path: string, entryPoint: string) => void;

function trimCHeap(connection: BetterSqlite3.Database): void {
  try {
    (connection.loadExtension as unknown as ExtensionLoader).call(connection, GLIBC, TRIM_ENTRY_POINT);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith(RELEASED_MESSAGE))) trimAvailable = false;
  }
}
