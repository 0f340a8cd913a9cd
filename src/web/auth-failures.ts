/** Failed authentications an address may make per window before it is answered 429. */
export const MAX_AUTH_FAILURES = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; past this the oldest entry is forgotten, so memory stays bounded. */
export const MAX_TRACKED_ADDRESSES = 10_000;

interface Window {
  readonly startedAt: number;
  failures: number;
}

/**
 * Counts failed authentications per client address in fixed windows, in this process's memory
 * (each server of a cluster counts its own; a restart forgets). Successful requests are neither
 * counted nor limited: tokens are 256 random bits, so what this bounds is the cost of a client
 * hammering with bad credentials (lookups, log lines), not the odds of guessing one.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits = {
      maxFailures: MAX_AUTH_FAILURES,
      windowMs: AUTH_FAILURE_WINDOW_MS,
      maxAddresses: MAX_TRACKED_ADDRESSES,
    },
  ) {}

  /**
   * Records one failure of `address`. Returns undefined while it is within the limit, else the
   * seconds until its window ends (the Retry-After of the 429).
   */
  recordFailure(address: string): number | undefined {
    const now = this.now();
    let window = this.windows.get(address);
    if (!window || now - window.startedAt >= this.limits.windowMs) {
      this.windows.delete(address);
      this.evictIfFull();
      window = { startedAt: now, failures: 0 };
      // Insertion order is age order: the first key is always the oldest window.
      this.windows.set(address, window);
    }
    window.failures += 1;
    if (window.failures <= this.limits.maxFailures) return undefined;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowMs - now) / 1000));
  }

  /** Addresses currently tracked (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private evictIfFull(): void {
    while (this.windows.size >= this.limits.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) return;
      this.windows.delete(oldest);
    }
  }
}
