/**
 * Big `Buffer`s live outside V8's heap. A young-generation collection frees one as soon as it is
 * unreachable, but streaming a large object (chunk rows read, pack pieces sent) allocates almost
 * nothing on the heap itself, so V8 sees no reason to collect, and the dead buffers pile up: tens
 * of megabytes after a clone or push of a few blobs of 5 MiB. Code that has just let go of big
 * buffers notes their bytes here; every `COLLECT_EVERY_BYTES`, a minor collection (a scavenge of
 * the 4 MiB young generation, about a millisecond) frees them. Needs `--expose-gc` (bin/mega.js);
 * without it (tests, a plain `node`) this does nothing.
 */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

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
