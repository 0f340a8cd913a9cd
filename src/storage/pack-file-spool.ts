import { randomBytes } from 'node:crypto';
import { readSync } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryPackSpool, type PackSpool } from '../git/pack-spool.js';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';
import type { HandedSpool } from './handed-pack-spool.js';
import { removeOldFiles, STALE_TEMP_MS } from './object-files.js';

/** Packs up to this size are kept in memory while indexed; bigger ones spill to a temp file. */
export const DEFAULT_SPOOL_MEMORY_BYTES = 64 * 1024 * 1024;
/** Bytes copied per write when moving the in-memory part to the file. */
const SPILL_PIECE = 1024 * 1024;
/**
 * Pack bytes per declared object worth keeping in memory. A pack averaging more per object is
 * mostly big blobs, which are streamed from the spool into chunk rows anyway: it goes to the
 * file at once instead of holding, say, 50 MB of ten blobs in memory for the whole push.
 */
const MEMORY_BYTES_PER_OBJECT = 64 * 1024;
/** Below this a pack stays in memory whatever its objects (no temp file for a small push). */
const MIN_MEMORY_BYTES = 1024 * 1024;
/** `PACK`, version, object count: the pack header the budget reads its object count from. */
const PACK_HEADER_BYTES = 12;

/**
 * A pack spool that starts in memory and moves to a temp file under `<dataDir>/tmp/` once the pack
 * outgrows `memoryBytes`, so receiving a big push keeps memory bounded; a pack whose header
 * declares few objects for its size (big blobs) moves there after `MIN_MEMORY_BYTES`. `dispose()`
 * removes the file; call it in a `finally`.
 */
export class SpillingPackSpool implements PackSpool {
  private memory: MemoryPackSpool | undefined = new MemoryPackSpool();
  private file: FileHandle | undefined;
  private path: string | undefined;
  private size = 0;
  /** Bytes kept in memory: `memoryBytes`, lowered once the pack header is known. */
  private budget: number;
  private headerSeen = false;

  constructor(
    private readonly tempDir: string,
    private readonly memoryBytes: number = DEFAULT_SPOOL_MEMORY_BYTES,
  ) {
    this.budget = memoryBytes;
  }

  async append(chunk: Buffer): Promise<void> {
    if (this.memory && !this.headerSeen && this.size + chunk.length >= PACK_HEADER_BYTES) {
      this.budgetFromHeader(chunk);
    }
    if (this.memory && this.size + chunk.length <= this.budget) {
      this.memory.append(chunk);
      this.size += chunk.length;
      return;
    }
    try {
      if (this.memory) await this.spill();
      await writeAll(this.file!, chunk, this.size);
    } catch (error) {
      // A pack this small is in the file only for its few objects: where the file cannot be
      // written (a full data directory), memory takes it, as it takes any pack of this size.
      if (this.size + chunk.length > this.memoryBytes) throw error;
      await this.backToMemory();
      this.memory!.append(chunk);
      this.size += chunk.length;
      return;
    }
    this.size += chunk.length;
    noteBufferGarbage(chunk.length);
  }

  /**
   * Reads synchronously: the resolver re-reads a base or a delta's stored bytes for most objects
   * of a big pack (hundreds of thousands of small reads), and the file was just written, so each
   * read is a copy from the page cache. Through fs/promises every read paid a thread-pool round
   * trip and a promise (10 s of a 497k-object push); a synchronous read also keeps the
   * resolver on its no-microtask path (`PackSpool.read` may return a Buffer).
   */
  read(offset: number, length: number): Buffer {
    if (this.memory) return this.memory.read(offset, length);
    if (offset < 0 || offset + length > this.size) throw new RangeError('spool read out of range');
    const out = Buffer.allocUnsafe(length);
    this.readInto(offset, out);
    // Callers use what they read and let it go: the garbage of a replayed pack, 1 MiB a read.
    noteBufferGarbage(length);
    return out;
  }

  /** Fills `target` with the bytes at `offset`: a big blob streams through one reused buffer. */
  readInto(offset: number, target: Buffer): void {
    const length = target.length;
    if (offset < 0 || offset + length > this.size) throw new RangeError('spool read out of range');
    if (this.memory) {
      this.memory.read(offset, length).copy(target);
      return;
    }
    const fd = this.file!.fd;
    let done = 0;
    while (done < length) {
      const bytesRead = readSync(fd, target, done, length - done, offset + done);
      if (bytesRead === 0) throw new RangeError('spool file ended early');
      done += bytesRead;
    }
  }

  /**
   * The received pack for a thread that decodes it: the temp file's path, or the memory's bytes
   * copied once into shared memory (a pack kept in memory is at most `memoryBytes`). The file
   * stays until `dispose()`.
   */
  handOff(): HandedSpool {
    if (!this.memory) return { kind: 'file', path: this.path!, size: this.size };
    const bytes = new SharedArrayBuffer(this.size);
    const view = Buffer.from(bytes);
    for (let offset = 0; offset < this.size; offset += SPILL_PIECE) {
      view.set(this.memory.read(offset, Math.min(SPILL_PIECE, this.size - offset)), offset);
    }
    return { kind: 'memory', bytes, size: this.size };
  }

  async dispose(): Promise<void> {
    this.memory = undefined;
    await this.removeFile();
  }

  /**
   * Lowers the memory budget of a pack of few objects for its size. Called once the first 12
   * bytes are in (`chunk` completes them); a stream that is not a pack keeps `memoryBytes`.
   */
  private budgetFromHeader(chunk: Buffer): void {
    this.headerSeen = true;
    const held = this.size > 0 ? this.memory!.read(0, this.size) : Buffer.alloc(0);
    const header = Buffer.concat([held, chunk.subarray(0, PACK_HEADER_BYTES - held.length)]);
    if (header.toString('latin1', 0, 4) !== 'PACK') return;
    const objects = header.readUInt32BE(8);
    this.budget = Math.min(this.memoryBytes, Math.max(MIN_MEMORY_BYTES, objects * MEMORY_BYTES_PER_OBJECT));
  }

  /** Moves the bytes so far to a new temp file; on failure they stay in memory. */
  private async spill(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    this.path = join(this.tempDir, `incoming-${randomBytes(8).toString('hex')}.pack`);
    this.file = await open(this.path, 'wx+', 0o600);
    // Copied over in pieces: joining the buffered chunks would double their memory at the peak.
    const buffered = this.memory!;
    for (let offset = 0; offset < buffered.length; offset += SPILL_PIECE) {
      const piece = buffered.read(offset, Math.min(SPILL_PIECE, buffered.length - offset));
      await writeAll(this.file, piece, offset);
    }
    this.memory = undefined;
  }

  /** Keeps the pack in memory from now on (read back from the file if it got there). */
  private async backToMemory(): Promise<void> {
    if (!this.memory) {
      const memory = new MemoryPackSpool();
      for (let offset = 0; offset < this.size; offset += SPILL_PIECE) {
        memory.append(this.read(offset, Math.min(SPILL_PIECE, this.size - offset)));
      }
      this.memory = memory;
    }
    this.budget = this.memoryBytes;
    await this.removeFile();
  }

  private async removeFile(): Promise<void> {
    const file = this.file;
    const path = this.path;
    this.file = undefined;
    this.path = undefined;
    if (file) await file.close();
    if (path) await rm(path, { force: true });
  }
}

/**
 * Writes all of `bytes` at `position`. A write may take only part of them (a file system that
 * just filled up); the next one then fails with ENOSPC instead of leaving a hole.
 */
async function writeAll(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) throw new Error('spool file write made no progress');
    done += bytesWritten;
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
