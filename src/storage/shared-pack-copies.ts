/**
 * Cached packs held in memory while clones send them, one copy for all of them. Many clones of
 * one repository at once (a CI fleet) each read the same cached pack: from its file, each clone
 * allocates a fresh buffer per piece (mapped and faulted in page by page under the server's malloc
 * threshold) that the collector must then free, and cuts it into side-band packets of two writes
 * each. A copy read once and framed once per packet size serves them all from views; it is
 * dropped when its last sender releases it, so an idle server holds none.
 */

/** Largest pack held in memory; a bigger one streams from its file to each clone. */
export const MAX_SHARED_PACK_BYTES = 64 * 1024 * 1024;
/** Memory all copies may take at once (file bytes and framings); past it, packs stream. */
export const MAX_SHARED_TOTAL_BYTES = 160 * 1024 * 1024;

/** One sender's hold on a shared copy; `release` exactly once (further calls do nothing). */
export interface SharedPackCopy {
  /** The pack as stored. */
  readonly bytes: Buffer;
  /**
   * The pack cut into packets of at most `maxData` bytes by `frame`, made by the first sender
   * that asks and kept with the copy for the others; undefined when another packet size was
   * framed already (one framing is budgeted: the sender then frames as it goes).
   */
  framed(maxData: number, frame: (bytes: Buffer, maxData: number) => Buffer): Buffer | undefined;
  release(): void;
}

interface Entry {
  readonly bytes: Promise<Buffer>;
  readonly size: number;
  framing?: { readonly maxData: number; readonly bytes: Buffer };
  readers: number;
}

export class SharedPackCopies {
  private readonly entries = new Map<string, Entry>();
  private heldBytes = 0;

  constructor(private readonly maxTotalBytes = MAX_SHARED_TOTAL_BYTES) {}

  /**
   * The shared copy of the pack `key` of `size` bytes, read with `read` if no sender holds it
   * now; undefined when it is too big or the budget is spent (the caller streams the file).
   */
  async acquire(key: string, size: number, read: () => Promise<Buffer>): Promise<SharedPackCopy | undefined> {
    let entry = this.entries.get(key);
    if (!entry || entry.size !== size) {
      // Room for the bytes and one framing.
      if (size > MAX_SHARED_PACK_BYTES || this.heldBytes + 2 * size > this.maxTotalBytes) return undefined;
      const bytes = read();
      entry = { bytes, size, readers: 0 };
      const created = entry;
      this.entries.set(key, created);
      this.heldBytes += 2 * size;
      // A failed read is forgotten at once; its senders get the error.
      bytes.catch(() => this.drop(key, created));
    }
    entry.readers++;
    const held = entry;
    try {
      return this.handle(key, held, await held.bytes);
    } catch (error) {
      held.readers--;
      throw error;
    }
  }

  /** Bytes held by copies now (for tests and metrics). */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  private handle(key: string, entry: Entry, bytes: Buffer): SharedPackCopy {
    let released = false;
    return {
      bytes,
      framed: (maxData, frame) => {
        entry.framing ??= { maxData, bytes: frame(bytes, maxData) };
        return entry.framing.maxData === maxData ? entry.framing.bytes : undefined;
      },
      release: () => {
        if (released) return;
        released = true;
        entry.readers--;
        if (entry.readers === 0) this.drop(key, entry);
      },
    };
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.heldBytes -= 2 * entry.size;
  }
}
