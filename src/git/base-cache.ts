/**
 * A byte-bounded LRU of inflated objects used as delta bases while indexing a pack (git's
 * delta_base_cache_limit idea). Entries larger than the whole budget are never cached.
 */
export class BaseCache<K> {
  private readonly entries = new Map<K, Buffer>();
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get(key: K): Buffer | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: Buffer): void {
    if (value.length > this.limit) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, data] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(oldest);
      this.bytes -= data.length;
    }
  }

  delete(key: K): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.bytes -= old.length;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.bytes;
  }
}
