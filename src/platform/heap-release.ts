/**
 * After a big job (the walk recorder and the search indexer after a large push) most of the V8
 * heap is garbage: ~150 MB of it at 497k objects, over 32 MB live. An idle server allocates
 * nothing, so V8 never collects it and the process keeps that memory for as long as it idles.
 * Jobs that may leave much garbage call `releaseHeapSoon`; once no such call came for
 * `QUIET_MS`, one full collection runs if the heap is big enough to be worth it. Needs
 * `--expose-gc` (bin/mega.js); without it (tests, a plain `node`) this does nothing.
 *
 * The collection compacts: a plain full one frees the dead objects but V8 keeps the pages they
 * were spread over (60 MB committed for 28 MB live at idle after the bench's large push and
 * clone) until its memory reducer runs, seconds later or never if the server allocates
 * nothing. V8 compacts every page only under `--compact-on-every-full-gc`, so the flag is on
 * for a second collection (Node leaves V8's flags writable after start for
 * `v8.setFlagsFromString`), only when what survived the first is small: compacting moves every
 * live object, a short pause for an idle server's ~30 MB, a long one for a push in flight.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** How long after the last big job the collection waits (more jobs may follow: one collection). */
const QUIET_MS = 1000;
/** Below this much committed heap a full collection frees too little to be worth its pause. */
const WORTH_COLLECTING_BYTES = 64 * 1024 * 1024;
/** Up to this much live heap, compacting it is a short pause (~30–150 ms at ~30 MB here). */
const COMPACT_LIVE_BYTES = 64 * 1024 * 1024;
/** Committed heap beyond the live heap worth a compaction: pages V8 would keep. */
const WORTH_COMPACTING_BYTES = 8 * 1024 * 1024;

/** Dropped long-lived arrays worth a full collection at once beside a request (a pause of ~0.1 s). */
const WORTH_COLLECTING_DROPPED_BYTES = 32 * 1024 * 1024;

let timer: NodeJS.Timeout | undefined;
/** Native caches to empty with the idle collection (`onHeapRelease`). */
const nativeReleases = new Set<() => void>();
/** Gives the C heap's free pages back after the releases (`setHeapTrim`). */
let trimHeap: (() => void) | undefined;
/** Git requests in flight (`foregroundBegan`/`foregroundEnded`): no collection runs meanwhile. */
let inForeground = 0;
/** A collection was asked for and has not run: the smallest `worthBytes` asked. */
let asked: number | undefined;

/**
 * Asks for one full collection, compacting when little survives it, once big jobs have stopped
 * for a moment (`worthBytes`: the committed heap below which it is skipped) and no git request
 * is in flight.
 */
export function releaseHeapSoon(worthBytes = WORTH_COLLECTING_BYTES): void {
  if (!globalThis.gc) return;
  asked = Math.min(asked ?? worthBytes, worthBytes);
  clearTimeout(timer);
  timer = undefined;
  if (inForeground === 0) armCollection();
}

/**
 * A git request began: a collection due now would run in the middle of it. The one a clone's
 * `ls-refs` asked for fell 1 s later, inside the fetch that follows it whenever that fetch took
 * longer than 1 s: a full collection of the heap holding the clone's walk, a few hundred ms more
 * on a `tree:1` clone of the large bench repository (docs/scale.md, "Partial clones by the
 * record's bytes"). It waits for the end of the last request in flight instead.
 */
export function foregroundBegan(): void {
  inForeground += 1;
  clearTimeout(timer);
  timer = undefined;
}

/**
 * A background job just dropped `bytes` of long-lived typed arrays (a push's object graph, once
 * the walk recorder is done with it). Only a full collection frees them, and V8 runs one when
 * its heap reaches its limit, so a request in flight (the clone right after the push) first
 * piles its own garbage on top of them: 60-80 MB more peak at 497k objects (docs/scale.md, "The
 * clone right after the push: the push's garbage beside it"). With a request in flight and
 * enough dropped, one full collection runs now, in place of the one V8 would run a little later
 * in that request; without one, `releaseHeapSoon` collects once things are quiet.
 */
export function collectDroppedArrays(bytes: number): void {
  if (inForeground > 0 && bytes >= WORTH_COLLECTING_DROPPED_BYTES) globalThis.gc?.();
}

/**
 * Registers a native cache (SQLite's page cache) to empty when the idle collection runs; returns
 * the call that unregisters it.
 */
export function onHeapRelease(release: () => void): () => void {
  nativeReleases.add(release);
  return () => nativeReleases.delete(release);
}

/**
 * Sets the call that gives the C heap's free pages back to the system once the idle collection
 * and the native releases are done (storage's `trimCHeap`: this layer runs no native code).
 */
export function setHeapTrim(trim: () => void): void {
  trimHeap = trim;
}

/** A git request ended (each `foregroundBegan` once): it may have left much garbage. */
export function foregroundEnded(): void {
  inForeground = Math.max(0, inForeground - 1);
  releaseHeapSoon();
}

function armCollection(): void {
  const collect = globalThis.gc;
  if (!collect) return;
  timer = setTimeout(() => {
    timer = undefined;
    const worthBytes = asked ?? WORTH_COLLECTING_BYTES;
    asked = undefined;
    if (getHeapStatistics().total_heap_size < worthBytes) return;
    collect();
    const heap = getHeapStatistics();
    const spare = heap.total_heap_size - heap.used_heap_size;
    if (heap.used_heap_size <= COMPACT_LIVE_BYTES && spare >= WORTH_COMPACTING_BYTES)
      collectCompacting(collect);
    // After the collections, which free the dead array buffers' C memory: native caches are
    // emptied, then the C heap's free pages go back to the system.
    for (const release of nativeReleases) release();
    trimHeap?.();
  }, QUIET_MS);
  // A process with nothing else to do exits without waiting for it.
  timer.unref();
}

function collectCompacting(collect: NonNullable<typeof globalThis.gc>): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
