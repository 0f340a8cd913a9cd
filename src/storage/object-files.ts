import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid } from '../platform/errors.js';

const HEX_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const STORED_PATH = /^[0-9a-f]{2}\/(?:[0-9a-f]{38}|[0-9a-f]{62})$/;
const TEMP_DIR = 'tmp';
/** A temp file untouched this long belongs to a process that died. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Content-addressed files under `<dataDir>/objects/`: `xx/yyyy…` named by the object id (like git's
 * loose objects), holding the object's pack-ready bytes. A file is written to `objects/tmp/`,
 * fsynced and renamed into place, so a reader never sees a partial file and a crash leaves at most
 * a temp file that `removeStaleTemps()` deletes. Only validated hex ids become paths.
 */
export class ObjectFiles {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'objects');
  }

  /** The path relative to the root (what `raw_objects.path` stores). Refuses anything but a hex id. */
  relativePath(id: string): string {
    if (!HEX_ID.test(id)) throw invalid('invalid_object_id', 'not a valid object id', { length: id.length });
    return `${id.slice(0, 2)}/${id.slice(2)}`;
  }

  /** Absolute path of a stored relative path; only the `xx/yyyy…` form `relativePath` makes. */
  absolutePath(stored: string): string {
    if (!STORED_PATH.test(stored)) {
      throw invalid('invalid_object_path', 'object file path is not an object id path');
    }
    return join(this.root, stored);
  }

  /**
   * Writes the file for `id` unless it exists (same id, same content; `chunks` is then not read).
   * `chunks` may be a stream: it is written piece by piece. Returns the relative path.
   */
  async write(id: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<string> {
    const stored = this.relativePath(id);
    const target = this.absolutePath(stored);
    if (await exists(target)) return stored;
    const tempDir = join(this.root, TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    await mkdir(join(this.root, stored.slice(0, 2)), { recursive: true });
    const temp = join(tempDir, `${id}.${randomBytes(6).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o644);
    try {
      for await (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return stored;
  }

  read(stored: string): Promise<Buffer> {
    return readFile(this.absolutePath(stored));
  }

  openRead(stored: string): Readable {
    return createReadStream(this.absolutePath(stored));
  }

  /** Temp files left by a crash (none when every write completed or failed cleanly). */
  async listTemps(): Promise<string[]> {
    try {
      return await readdir(join(this.root, TEMP_DIR));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Deletes temp files a crash left behind (at start-up). Only old ones: another server sharing
   * the data directory may be writing a fresh one right now.
   */
  async removeStaleTemps(olderThanMs = STALE_TEMP_MS): Promise<number> {
    return removeOldFiles(join(this.root, TEMP_DIR), olderThanMs);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes files in `dir` not modified for `olderThanMs`; returns how many. */
export async function removeOldFiles(dir: string, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  const cutoff = Date.now() - olderThanMs;
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info?.isFile() && info.mtimeMs <= cutoff) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
