import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** LFS object ids are lowercase hex sha256; nothing else may become a file name. */
const OID_PATTERN = /^[0-9a-f]{64}$/;

/** Read size for downloads: 16× fewer reads than the 64 KiB default, still a bounded buffer. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A file being written: the stream to write to, then exactly one of `commit` or `discard`. */
export interface LfsTempObject {
  readonly writable: Writable;
  /** Flushes the file to disk and moves it to the object's content-addressed path. */
  commit(oid: string): Promise<void>;
  /** Removes the partial file (safe to call after a failed or finished write). */
  discard(): Promise<void>;
}

export interface ByteSpan {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/**
 * LFS object content as files under `<dataDir>/lfs`: `ab/cd/<oid>` by content, so one object is
 * stored once whatever the number of repositories referencing it. Uploads are written to
 * `tmp/` on the same file system and renamed into place only after verification, so a reader
 * never sees a partial object and a failed upload leaves nothing at the object's path.
 */
export class LfsBlobStore {
  readonly root: string;
  private readonly tempDir: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'lfs');
    this.tempDir = join(this.root, 'tmp');
  }

  objectPath(oid: string): string {
    if (!OID_PATTERN.test(oid)) throw new Error('invalid LFS object id');
    return join(this.root, oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  /** Size of the stored content, or undefined when no file holds it. */
  async size(oid: string): Promise<number | undefined> {
    try {
      return (await stat(this.objectPath(oid))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Streams the content, or a span of it; never reads the whole file into memory. */
  read(oid: string, span?: ByteSpan): ReadStream {
    return createReadStream(this.objectPath(oid), {
      highWaterMark: READ_CHUNK_BYTES,
      ...(span ? { start: span.start, end: span.end } : {}),
    });
  }

  /** Starts a new temporary file for an upload. */
  async createTemp(): Promise<LfsTempObject> {
    await mkdir(this.tempDir, { recursive: true });
    const tempPath = join(this.tempDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
    const handle = await open(tempPath, 'wx', 0o640);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      writable: fileWritable(handle),
      commit: async (oid) => {
        const target = this.objectPath(oid);
        await handle.sync();
        await close();
        await mkdir(join(target, '..'), { recursive: true });
        // Same content under the same name: an existing file is already the right one.
        await rename(tempPath, target);
      },
      discard: async () => {
        await close();
        await rm(tempPath, { force: true });
      },
    };
  }

  /**
   * Removes temporary files a crashed upload left behind. Only files older than `olderThanMs`:
   * another server instance sharing the data directory may be writing the younger ones.
   */
  async removeStaleTemps(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(this.tempDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    for (const name of names) {
      const path = join(this.tempDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  /** Deletes an object's content (after the catalogue marked it removed). */
  async remove(oid: string): Promise<void> {
    await rm(this.objectPath(oid), { force: true });
  }
}

/**
 * A Writable over an open handle that leaves closing to its owner (the temp object), so the
 * data can be fsynced before the rename.
 */
function fileWritable(handle: FileHandle): Writable {
  return new Writable({
    highWaterMark: 1024 * 1024,
    writev(chunks, callback) {
      handle.writev(chunks.map((entry) => entry.chunk as Buffer)).then(
        () => callback(),
        (error: Error) => callback(error),
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      handle.write(chunk).then(
        () => callback(),
        (error: Error) => callback(error),
      );
    },
  });
}
