import { BaseCache } from '../git/base-cache.js';
import { releaseHeapSoon } from '../platform/heap-release.js';

/** How long the cache outlives the last read that used it. */
export const READ_CACHE_IDLE_MS = 1000;
/** Emptying less than this is not worth a full collection of an idle heap. */
const WORTH_COLLECTING_BYTES = 4 * 1024 * 1024;

/**
 * Inflated delta bases kept for the reads of one server (git's delta_base_cache_limit idea),
 * emptied once no read used it for `READ_CACHE_IDLE_MS`. A clone of a large repository fills
 * it to its budget with thousands of small buffers in the C heap, which an idle server would
 * otherwise keep for good (35 MB of the 56 MB of buffers alive at idle after the bench's push
 * of 497k objects and the clone after it), and which pin the freed memory around them. It then
 * asks for one collection: an idle server allocates nothing, so without one the buffers would
 * stay allocated though nothing refers to them.
 */
export class ReadCache {
  private readonly bases: BaseCache<string>;
  private lastUse = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    limitBytes: number,
    private readonly idleMs = READ_CACHE_IDLE_MS,
  ) {
    this.bases = new BaseCache<string>(limitBytes);
  }

  get(id: string): Buffer | undefined {
    this.lastUse = Date.now();
    return this.bases.get(id);
  }

  set(id: string, content: Buffer): void {
    this.lastUse = Date.now();
    this.bases.set(id, content);
    if (!this.timer) this.emptyAfter(this.idleMs);
  }

  /** Bytes held. */
  get size(): number {
    return this.bases.size;
  }

  private emptyAfter(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const idle = Date.now() - this.lastUse;
      if (idle < this.idleMs) return this.emptyAfter(this.idleMs - idle);
      const held = this.bases.size;
      this.bases.clear();
      if (held >= WORTH_COLLECTING_BYTES) releaseHeapSoon(0);
    }, ms);
    // A process with nothing else to do exits without waiting for it.
    this.timer.unref();
  }
}
