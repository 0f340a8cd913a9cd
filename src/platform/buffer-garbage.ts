/**
 * Big `Buffer`s live outside V8's heap. A young-generation collection frees one as soon as it is
 * unreachable, but streaming a large object (chunk rows read, pack pieces sent) allocates little
 * on the heap itself, so V8 collects late, and the dead buffers pile up: 30-40 MB during a clone
 * of blobs of 5 MiB. Code that has just let go of big buffers notes their bytes here; every
 * `COLLECT_EVERY_BYTES`, a minor collection (a scavenge of the 4 MiB young generation, under a
 * millisecond) frees them. Needs `--expose-gc` (bin/mega.js); without it (tests, a plain `node`)
 * this does nothing.
 *
 * A buffer still in use at two collections moves to the old generation, which only a full
 * collection (~20 ms) frees: so the bytes a stream keeps in flight (the clone cache file's lag,
 * `pack-cache.ts`) must stay well below this interval, or the hints make things worse.
 */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

let noted = 0;

/** Notes `bytes` of big buffers just dropped; collects the young generation now and then. */
export function noteBufferGarbage(bytes: number): void {
  const collect = globalThis.gc;
  if (!collect) return;
  noted += bytes;
  if (noted < COLLECT_EVERY_BYTES) return;
  noted = 0;
  collect({ type: 'minor' });
}
