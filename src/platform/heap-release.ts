/**
 * After a big job (the walk recorder and the search indexer after a large push) most of the V8
 * heap is garbage: ~150 MB of it at 497k objects, over 32 MB live. An idle server allocates
 * nothing, so V8 never collects it and the process keeps that memory for as long as it idles.
 * Jobs that may leave much garbage call `releaseHeapSoon`; once no such call came for
 * `QUIET_MS`, one full collection runs if the heap is big enough to be worth it. Needs
 * `--expose-gc` (bin/mega.js); without it (tests, a plain `node`) this does nothing.
 */
import { getHeapStatistics } from 'node:v8';

/** How long after the last big job the collection waits (more jobs may follow: one collection). */
const QUIET_MS = 1000;
/** Below this much used heap a full collection frees too little to be worth its pause. */
const WORTH_COLLECTING_BYTES = 96 * 1024 * 1024;

let timer: NodeJS.Timeout | undefined;

/**
 * Asks for one full collection once big jobs have stopped for a moment (`worthBytes`: the used
 * heap below which it is skipped).
 */
export function releaseHeapSoon(worthBytes = WORTH_COLLECTING_BYTES): void {
  const collect = globalThis.gc;
  if (!collect) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    if (getHeapStatistics().used_heap_size >= worthBytes) collect();
  }, QUIET_MS);
  // A process with nothing else to do exits without waiting for it.
  timer.unref();
}
