/** Bytes of entry indexes kept in memory: two of the `large` bench repository's (12.9 MB each). */
export const MAX_REMEMBERED_INDEX_BYTES = 32 * 1024 * 1024;
/** An index unused this long is let go: an idle server does not hold it. */
export const REMEMBERED_INDEX_MS = 10 * 60 * 1000;

/**
 * Cached packs' entry indexes (`repo/pack-entry-index.ts`, with the pack's checksum at their end)
 * kept in memory by cache key, the least recently used let go beyond `maxBytes` or after `idleMs`
 * unused. A partial clone cut out of a full clone's cached pack (`repo/cached-pack-subset.ts`)
 * then does not read the index from its file: the first such clone after the full clone finds the
 * bytes the full clone wrote, and clones cut at once share one copy instead of one each.
 * The caller checks the checksum against the pack before using one.
 */
export class RememberedIndexes {
  private readonly entries = new Map<string, { bytes: Buffer; timer: NodeJS.Timeout }>();
  private total = 0;

  constructor(
    private readonly maxBytes = MAX_REMEMBERED_INDEX_BYTES,
    private readonly idleMs = REMEMBERED_INDEX_MS,
  ) {}

  /** The index kept for `key`, now the most recently used; undefined when none is. */
  get(key: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.keep(key, entry.bytes);
    return entry.bytes;
  }

  /** Keeps `bytes` (not modified afterwards by the caller) as the index of `key`. */
  set(key: string, bytes: Buffer): void {
    this.keep(key, bytes);
  }

  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(key);
    this.total -= entry.bytes.length;
  }

  get bytes(): number {
    return this.total;
  }

  private keep(key: string, bytes: Buffer): void {
    this.forget(key);
    if (bytes.length > this.maxBytes) return;
    const timer = setTimeout(() => this.forget(key), this.idleMs);
    // A kept index never holds the process open.
    timer.unref();
    this.entries.set(key, { bytes, timer });
    this.total += bytes.length;
    // The map iterates in insertion order: its first keys are the least recently used.
    for (const oldest of this.entries.keys()) {
      if (this.total <= this.maxBytes) break;
      this.forget(oldest);
    }
  }
}
