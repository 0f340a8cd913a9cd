import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { requireBlobOid, type ByteSpan, type LfsBlobStore } from './lfs-blob-store.js';
import { VerifiedBody } from './verified-body.js';

/** Read size for downloads: 16× fewer reads than the 64 KiB default, still a bounded buffer. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * LFS object content as files under one directory (`file:DIR`; default `<dataDir>/lfs`, the
 * layout of every earlier version): `ab/cd/<oid>` by content, so one object is stored once
 * whatever the number of repositories referencing it. Uploads are written to `tmp/` on the same
 * file system, fsynced and renamed into place only after verification, so a reader never sees a
 * partial object and a failed upload leaves nothing at the object's path.
 */
export class FileBlobStore implements LfsBlobStore {
  readonly description: string;
  private readonly tempDir: string;

  constructor(readonly root: string) {
    this.description = `file:${root}`;
    this.tempDir = join(root, 'tmp');
  }

  objectPath(oid: string): string {
    requireBlobOid(oid);
    return join(this.root, oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async stat(oid: string): Promise<number | undefined> {
    try {
      return (await stat(this.objectPath(oid))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async has(oid: string): Promise<boolean> {
    return (await this.stat(oid)) !== undefined;
  }

  open(oid: string, span?: ByteSpan): Promise<Readable> {
    const stream = createReadStream(this.objectPath(oid), {
      highWaterMark: READ_CHUNK_BYTES,
      ...(span ? { start: span.start, end: span.end } : {}),
    });
    // Resolve once the file is open, so a missing file rejects here rather than mid-response.
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', reject);
    });
  }

  async put(oid: string, openBody: () => Readable, expectedSize?: number): Promise<number> {
    const target = this.objectPath(oid);
    await mkdir(this.tempDir, { recursive: true });
    const tempPath = join(this.tempDir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
    const handle = await open(tempPath, 'wx', 0o640);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    try {
      const body = new VerifiedBody(expectedSize);
      await pipeline(openBody(), body, fileWritable(handle));
      const size = body.check(oid);
      await handle.sync();
      await close();
      await mkdir(join(target, '..'), { recursive: true });
      // Same content under the same name: an existing file is already the right one.
      await rename(tempPath, target);
      return size;
    } catch (error) {
      await close();
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async removeStaleUploads(olderThanMs: number, now = Date.now()): Promise<number> {
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

  async delete(oid: string): Promise<void> {
    await rm(this.objectPath(oid), { force: true });
  }

  async close(): Promise<void> {}
}

/**
 * A Writable over an open handle that leaves closing to its owner, so the data can be fsynced
 * before the rename.
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
