import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryPackSpool, type PackSpool } from '../git/pack-spool.js';
import { removeOldFiles, STALE_TEMP_MS } from './object-files.js';

/** Packs up to this size are kept in memory while indexed; bigger ones spill to a temp file. */
export const DEFAULT_SPOOL_MEMORY_BYTES = 64 * 1024 * 1024;
/** Bytes copied per write when moving the in-memory part to the file. */
const SPILL_PIECE = 1024 * 1024;

/**
 * A pack spool that starts in memory and moves to a temp file under `<dataDir>/tmp/` once the pack
 * outgrows `memoryBytes`, so receiving a big push keeps memory bounded. `dispose()` removes the
 * file; call it in a `finally`.
 */
export class SpillingPackSpool implements PackSpool {
  private memory: MemoryPackSpool | undefined = new MemoryPackSpool();
  private file: FileHandle | undefined;
  private path: string | undefined;
  private size = 0;

  constructor(
    private readonly tempDir: string,
    private readonly memoryBytes: number = DEFAULT_SPOOL_MEMORY_BYTES,
  ) {}

  async append(chunk: Buffer): Promise<void> {
    if (this.memory && this.size + chunk.length <= this.memoryBytes) {
      this.memory.append(chunk);
      this.size += chunk.length;
      return;
    }
    if (this.memory) await this.spill();
    await this.file!.write(chunk, 0, chunk.length, this.size);
    this.size += chunk.length;
  }

  /**
   * Synchronous while the pack is in memory: the pack reader reads every delta's bytes back, and
   * a promise per read would cost a microtask per object.
   */
  read(offset: number, length: number): Buffer | Promise<Buffer> {
    if (this.memory) return this.memory.read(offset, length);
    return this.readFile(offset, length);
  }

  private async readFile(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset + length > this.size) throw new RangeError('spool read out of range');
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.file!.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new RangeError('spool file ended early');
      done += bytesRead;
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.memory = undefined;
    const file = this.file;
    this.file = undefined;
    if (file) await file.close();
    if (this.path) await rm(this.path, { force: true });
  }

  private async spill(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    this.path = join(this.tempDir, `incoming-${randomBytes(8).toString('hex')}.pack`);
    this.file = await open(this.path, 'wx+', 0o600);
    // Copied over in pieces: joining the buffered chunks would double their memory at the peak.
    const buffered = this.memory!;
    this.memory = undefined;
    for (let offset = 0; offset < buffered.length; offset += SPILL_PIECE) {
      const piece = buffered.read(offset, Math.min(SPILL_PIECE, buffered.length - offset));
      await this.file.write(piece, 0, piece.length, offset);
    }
  }
}

/** Directory of spilled packs under the data directory. */
export function spoolDirectory(dataDir: string): string {
  return join(dataDir, 'tmp');
}

/** Removes spilled packs a crashed process left behind. */
export function removeStaleSpools(dataDir: string, olderThanMs = STALE_TEMP_MS): Promise<number> {
  return removeOldFiles(spoolDirectory(dataDir), olderThanMs);
}
