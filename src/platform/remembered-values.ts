/**
 * Values kept in memory by key, the least recently used let go beyond `maxBytes` (as `sizeOf`
 * counts them) or after `idleMs` unused: work a server does once and reuses while it is asked
 * again (`storage/remembered-indexes.ts`, `storage/remembered-picks.ts`), without an idle
 * server holding it. A value is never modified once kept.
 */
export class RememberedValues<T> {
  private readonly entries = new Map<string, { value: T; size: number; timer: NodeJS.Timeout }>();
  private total = 0;

  constructor(
    private readonly sizeOf: (value: T) => number,
    private readonly maxBytes: number,
    private readonly idleMs: number,
  ) {}

  /** The value kept for `key`, now the most recently used; undefined when none is. */
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.keep(key, entry.value);
    return entry.value;
  }

  /** Keeps `value` (not modified afterwards by the caller) under `key`. */
  set(key: string, value: T): void {
    this.keep(key, value);
  }

  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(key);
    this.total -= entry.size;
  }

  get bytes(): number {
    return this.total;
  }

  private keep(key: string, value: T): void {
    this.forget(key);
    const size = this.sizeOf(value);
    if (size > this.maxBytes) return;
    const timer = setTimeout(() => this.forget(key), this.idleMs);
    // A kept value never holds the process open.
    timer.unref();
    this.entries.set(key, { value, size, timer });
    this.total += size;
    // The map iterates in insertion order: its first keys are the least recently used.
    for (const oldest of this.entries.keys()) {
      if (this.total <= this.maxBytes) break;
      this.forget(oldest);
    }
  }
}
