import BetterSqlite3 from 'better-sqlite3';

/**
 * Hands the C heap's free pages back to the system (glibc's `malloc_trim`), once a big job is
 * over (called by `heap-release`'s idle collection, on every database).
 *
 * Why: glibc's `free` only ever gives back its brk heap's top. After the first push of 497k
 * objects the idle server's brk heap was ~140 MB resident with ~100 MB of it free, spread between
 * live chunks (SQLite's page cache, the push's buffers below `MALLOC_MMAP_THRESHOLD_`).
 * `malloc_trim` releases every free page wherever it lies: with SQLite's cache emptied first
 * (`sqlite-memory-release.ts`) the idle server went from ~230 to ~105 MB (docs/scale.md, "The
 * idle server's C heap given back…").
 *
 * Node has no call for `malloc_trim`, and this project builds no native code. SQLite's extension
 * loader is a `dlopen` plus one call of a named function with the connection's handle as its
 * first argument, so loading glibc's `libc.so.6` (already mapped; `dlopen` only counts a
 * reference) with `malloc_trim` as the entry point calls `malloc_trim(pad)` with that pointer as
 * `pad`: the bins' free pages are released whatever `pad` is, and a pad that large only leaves
 * the heap's top as it is (`free` trims that already). Its result, 1 when it released pages,
 * reads to SQLite as a failed initialisation, which is expected here. Elsewhere (musl, macOS) the
 * library or the symbol is missing and the first failure turns the trim off for the process.
 * The heap is the process's, so the loader runs on a connection of its own, to no file: a server
 * on PostgreSQL or MariaDB trims too.
 */

/** SQLite's message when an entry point returned non-zero: `malloc_trim` released something. */
const RELEASED_MESSAGE = 'error during initialization';
const GLIBC = 'libc.so.6';
const TRIM_ENTRY_POINT = 'malloc_trim';

/** Off after a failure that is not the expected one: this C library has no `malloc_trim`. */
let trimAvailable = process.platform === 'linux';
/** The connection whose extension loader calls the trim, opened at the first trim. */
let loader: BetterSqlite3.Database | undefined;

/** better-sqlite3 hands an entry point on to SQLite; its type declarations omit it. */
type ExtensionLoader = (path: string, entryPoint: string) => void;

/**
 * Gives the C heap's free pages back to the system, where the C library can (glibc); returns
 * whether it could.
 */
export function trimCHeap(): boolean {
  if (!trimAvailable) return false;
  try {
    loader ??= new BetterSqlite3(':memory:');
    (loader.loadExtension as unknown as ExtensionLoader).call(loader, GLIBC, TRIM_ENTRY_POINT);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith(RELEASED_MESSAGE))) trimAvailable = false;
  }
  return trimAvailable;
}
