/**
 * Background jobs that share the one event-loop thread (and SQLite's one connection) with the
 * requests users wait for give way to them: the search indexer after a push ran ~20 s of
 * statements at 497k objects, interleaved with the clone that followed the push, and doubled
 * that clone's time. Foreground work (git requests over HTTP and SSH) marks its start and end
 * (the one place either transport reports a git request's end);
 * a background job asks `pause()` between its steps and waits while any is in flight and for a
 * quiet time after the last one ends (the next request of a conversation or of a CI job usually
 * follows within milliseconds; after a long fetch, once its client has indexed the pack). Each
 * wait is capped, so constant traffic slows a job to one step per `maxWaitMs` instead of
 * stopping it.
 */

/** How long after the last foreground request ends background work waits for another one. */
export const QUIET_MS = 1000;
/** The longest one `pause()` waits: under constant traffic a job still takes a step this often. */
export const MAX_WAIT_MS = 10_000;
/**
 * The longest quiet time after a long fetch. Its client goes on with what it got after the last
 * byte (a clone's `index-pack` resolves the pack's deltas, ~8 s after a 12 s send of the
 * 497k-object bench repository, then checks out) before its next request (tags, LFS objects,
 * submodules), and a background step begun in that gap holds the event loop when it comes (an
 * index transaction: 1–2 s). So the quiet time after a fetch lasts as long as the fetch did,
 * between `quietMs` and this.
 */
export const MAX_QUIET_MS = 30_000;

export interface ForegroundWorkOptions {
  readonly quietMs?: number;
  readonly maxQuietMs?: number;
  readonly maxWaitMs?: number;
  /**
   * Runs once at the end of each request, whichever transport served it (`mega serve`: ask
   * for the heap a big clone or push left behind to be collected once idle, see heap-release).
   */
  readonly onEnd?: () => void;
  /** Runs at the start of each request (`mega serve`: no heap collection in the middle of it). */
  readonly onBegin?: () => void;
}

export class ForegroundWork {
  private inFlight = 0;
  /** Set between the last request's end and the end of the quiet time after it. */
  private quietTimer: NodeJS.Timeout | undefined;
  /** The quiet time owed to the requests ended since the last quiet time began (the longest one). */
  private owedQuietMs = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: ForegroundWorkOptions = {}) {}

  /** True while a request is in flight or the quiet time after the last one runs. */
  get busy(): boolean {
    return this.inFlight > 0 || this.quietTimer !== undefined;
  }

  /**
   * Marks one foreground request as started; call the returned function once when it ends.
   * `fetch`: the client works on the response after it (upload-pack), see `MAX_QUIET_MS`.
   */
  begin(options: { readonly fetch?: boolean } = {}): () => void {
    this.inFlight += 1;
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    this.options.onBegin?.();
    const began = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
      const quietMs = options.fetch ? this.quietAfter(Date.now() - began) : this.shortQuietMs;
      this.owedQuietMs = Math.max(this.owedQuietMs, quietMs);
      if (this.inFlight === 0) this.startQuietTime();
      this.options.onEnd?.();
    };
  }

  /**
   * Undefined when background work may go on now (nothing in flight, the quiet time over);
   * otherwise a promise that resolves once it may, or after `maxWaitMs` whatever the traffic.
   */
  pause(): Promise<void> | undefined {
    if (!this.busy) return undefined;
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(cap);
        this.waiters.delete(wake);
        resolve();
      };
      const cap = setTimeout(wake, this.options.maxWaitMs ?? MAX_WAIT_MS);
      this.waiters.add(wake);
    });
  }

  private get shortQuietMs(): number {
    return this.options.quietMs ?? QUIET_MS;
  }

  /** The quiet time after a fetch that lasted `lastedMs`. */
  private quietAfter(lastedMs: number): number {
    return Math.max(this.shortQuietMs, Math.min(lastedMs, this.options.maxQuietMs ?? MAX_QUIET_MS));
  }

  private startQuietTime(): void {
    const quietMs = this.owedQuietMs;
    this.owedQuietMs = 0;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      for (const wake of [...this.waiters]) wake();
    }, quietMs);
    // A process with nothing else to do exits without waiting for it (waiters hold their cap).
    this.quietTimer.unref();
  }
}
