import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { RememberedIndexes } from './remembered-indexes.js';
import { SharedPackCopies, type SharedPackCopy } from './shared-pack-copies.js';

/** Cache keys are hex digests; anything else never becomes a path. */
const KEY = /^[0-9a-f]{64}$/;
/**
 * Bytes a cache write may queue in memory before the sender waits for the file: the clone then
 * goes at disk speed instead of holding the pack's unwritten part (tens of MB for big blobs).
 * Small, so queued pieces die young (`platform/buffer-garbage.ts`): with 4 MiB of lag a clone of
 * 10 blobs of 5 MiB peaked at 141 MB, with 1 MiB at 116 MB.
 */
const MAX_LAG_BYTES = 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const TEMP_SUFFIX = '.tmp';
const PACK_SUFFIX = '.pack';
/** A pack's entry index (`repo/pack-entry-index.ts`) beside it, ended by the pack's checksum. */
const INDEX_SUFFIX = '.entries';
/** Longest pack checksum (SHA-256). */
const MAX_CHECKSUM_LENGTH = 32;

export interface PackCacheOptions {
  /** Total bytes of cached packs; the least recently used go first. 0 disables the cache. */
  readonly maxBytes: number;
  /** Entries older than this (since last use) are removed. */
  readonly maxAgeMs: number;
}

export interface CachedPack {
  readonly size: number;
  /** The pack bytes in pieces: views of `shared`, or read from the file. */
  readonly chunks: AsyncIterable<Buffer>;
  /**
   * The in-memory copy the clones sending this pack at once share (`shared-pack-copies.ts`).
   * Iterating `chunks` to its end releases it; a sender that uses it otherwise releases it.
   */
  readonly shared?: SharedPackCopy;
}

/** Pieces of a shared copy handed to a sender: the size of the file reads they replace. */
const SHARED_PIECE = 1024 * 1024;

/** A cached pack opened for reads at any offset, with the entry index kept beside it. */
export interface IndexedCachedPack {
  readonly size: number;
  /** The open pack file: the caller closes it. */
  readonly file: FileHandle;
  /** The entry index, its trailing copy of the pack's checksum checked and removed. */
  readonly index: Buffer;
  /**
   * The index as kept, checksum included: the same object at each opening while it is kept in
   * memory, so work derived from it can be kept by it (`repo/cached-pack-subset.ts`).
   */
  readonly indexWithChecksum: Buffer;
}

/**
 * Finished packs of full clones, kept as files under `<dataDir>/cache/packs/` (the idea of GitLab
 * Gitaly's pack-objects cache): a fleet of CI jobs cloning the same commits is then served at
 * disk speed instead of walking and reading the whole history from the database each time.
 * Callers key entries by everything that determines the pack's content (repository identity,
 * wanted ids, options), so an entry never goes stale; entries only expire to bound disk use.
 * A pack is written to a temp file while it streams to the first client and renamed into place
 * when complete, so readers never see a partial pack.
 */
export class PackCache {
  private readonly dir: string;
  private pruning: Promise<void> | undefined;
  private readonly shared = new SharedPackCopies();
  /**
   * Entry indexes as last written or read: the first partial clone cut after a full clone read
   * its 12.9 MB (`large` bench repository) from the file before its pack's first byte.
   */
  private readonly indexes = new RememberedIndexes();

  constructor(
    dataDir: string,
    private readonly options: PackCacheOptions,
  ) {
    this.dir = join(dataDir, 'cache', 'packs');
  }

  get enabled(): boolean {
    return this.options.maxBytes > 0;
  }

  /** The cached pack for `key`, or undefined. Marks the entry as used. */
  async open(key: string): Promise<CachedPack | undefined> {
    const opened = await this.openFile(key);
    if (!opened) return undefined;
    const { file, size } = opened;
    let shared: SharedPackCopy | undefined;
    try {
      shared = await this.shared.acquire(key, size, () => file.readFile());
    } catch (error) {
      await file.close();
      throw error;
    }
    if (!shared) {
      return { size, chunks: file.createReadStream({ highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer> };
    }
    await file.close();
    return { size, chunks: piecesOf(shared), shared };
  }

  /** Whether a pack for `key` is cached with its entry index (nothing is read or marked used). */
  async hasIndexed(key: string): Promise<boolean> {
    if (!this.enabled || !KEY.test(key)) return false;
    return stat(join(this.dir, `${key}${INDEX_SUFFIX}`)).then(
      () => true,
      () => false,
    );
  }

  /**
   * The cached pack for `key` with its entry index, or undefined when either is missing or the
   * index was not written for this pack (its copy of the checksum differs). Marks the entry as used.
   */
  async openIndexed(key: string, checksumLength: number): Promise<IndexedCachedPack | undefined> {
    if (!this.enabled || !KEY.test(key)) return undefined;
    const opened = await this.openFile(key);
    if (!opened) return undefined;
    const checksum = Buffer.alloc(checksumLength);
    const { bytesRead } =
      opened.size >= checksumLength
        ? await opened.file.read(checksum, 0, checksumLength, opened.size - checksumLength)
        : { bytesRead: 0 };
    const index = bytesRead === checksumLength ? await this.indexOf(key, checksum) : undefined;
    if (!index) {
      await opened.file.close();
      return undefined;
    }
    return {
      size: opened.size,
      file: opened.file,
      index: index.subarray(0, index.length - checksum.length),
      indexWithChecksum: index,
    };
  }

  /**
   * The entry index of `key` ending with the pack's `checksum`: the one in memory, or else the
   * file's (then kept in memory); undefined when neither was written for this pack.
   */
  private async indexOf(key: string, checksum: Buffer): Promise<Buffer | undefined> {
    const endsWith = (index: Buffer | undefined) =>
      index !== undefined &&
      index.length >= checksum.length &&
      checksum.equals(index.subarray(index.length - checksum.length));
    const remembered = this.indexes.get(key);
    if (endsWith(remembered)) return remembered;
    const read = await readFile(join(this.dir, `${key}${INDEX_SUFFIX}`)).catch(() => undefined);
    if (!read || !endsWith(read)) return undefined;
    this.indexes.set(key, read);
    return read;
  }

  private async openFile(key: string): Promise<{ file: FileHandle; size: number } | undefined> {
    if (!this.enabled || !KEY.test(key)) return undefined;
    const path = join(this.dir, `${key}${PACK_SUFFIX}`);
    // Opened before anything else: a prune that removes the file later cannot cut the send short.
    const file = await open(path, 'r').catch(() => undefined);
    if (!file) return undefined;
    const info = await file.stat();
    if (Date.now() - info.mtimeMs > this.options.maxAgeMs) {
      await file.close();
      await rm(path, { force: true });
      this.indexes.forget(key);
      return undefined;
    }
    const now = new Date();
    await file.utimes(now, now).catch(() => undefined);
    return { file, size: info.size };
  }

  /**
   * Starts an entry for `key`: feed it the pack as it is sent, then `commit()` (or `abort()` if
   * sending failed). Returns undefined when the cache is disabled or the pack would not fit.
   */
  async create(key: string): Promise<PackCacheWriter | undefined> {
    if (!this.enabled || !KEY.test(key)) return undefined;
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `${key}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    return new PackCacheWriter(
      temp,
      join(this.dir, `${key}${PACK_SUFFIX}`),
      join(this.dir, `${key}${INDEX_SUFFIX}`),
      this.options.maxBytes / 4,
      (index) => {
        if (index) this.indexes.set(key, index);
        else this.indexes.forget(key);
        return this.prune();
      },
    );
  }

  /**
   * Removes every temp file: called once when a server starts, so the parts of packs a crashed
   * process was writing do not hold disk space until they age out. Another server sharing this data
   * directory only loses the entries it is writing (their `commit()` then drops them).
   */
  async removeLeftovers(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const temps = names.filter((name) => name.endsWith(TEMP_SUFFIX));
    for (const name of temps) await rm(join(this.dir, name), { force: true });
    return temps.length;
  }

  /** Removes expired entries and temp files, then the least recently used until under the budget. */
  prune(): Promise<void> {
    this.pruning ??= this.pruneNow().finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  private async pruneNow(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: Array<{ path: string; size: number; used: number }> = [];
    const kept = new Set<string>();
    for (const name of names) {
      const path = join(this.dir, name);
      // An entry index goes with its pack (below).
      if (name.endsWith(INDEX_SUFFIX)) continue;
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const age = Date.now() - info.mtimeMs;
      const isPack = name.endsWith(PACK_SUFFIX);
      // A temp file this old belongs to a send that died without cleaning up.
      if (age > this.options.maxAgeMs || (!isPack && age > 60 * 60 * 1000)) {
        await rm(path, { force: true });
      } else if (isPack) {
        entries.push({ path, size: info.size, used: info.mtimeMs });
        kept.add(name.slice(0, -PACK_SUFFIX.length));
      }
    }
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    for (const entry of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.options.maxBytes) break;
      await rm(entry.path, { force: true });
      kept.delete(entry.path.slice(this.dir.length + 1, -PACK_SUFFIX.length));
      total -= entry.size;
    }
    for (const name of names) {
      const key = name.slice(0, -INDEX_SUFFIX.length);
      if (name.endsWith(INDEX_SUFFIX) && !kept.has(key)) {
        await rm(join(this.dir, name), { force: true });
        this.indexes.forget(key);
      }
    }
  }
}

async function* piecesOf(shared: SharedPackCopy): AsyncGenerator<Buffer> {
  try {
    for (let at = 0; at < shared.bytes.length; at += SHARED_PIECE) {
      yield shared.bytes.subarray(at, at + SHARED_PIECE);
    }
  } finally {
    shared.release();
  }
}

/** One pack being written into the cache alongside the response. Never fails the response. */
export class PackCacheWriter {
  private readonly file: WriteStream;
  private failed = false;
  private written = 0;
  /** The last piece written: the pack's checksum, which the entry index repeats. */
  private last: Buffer = Buffer.alloc(0);

  constructor(
    private readonly temp: string,
    private readonly target: string,
    private readonly indexTarget: string,
    private readonly maxSize: number,
    /** Given the index kept beside the pack (with its checksum), if one was. */
    private readonly afterCommit: (index: Buffer | undefined) => Promise<void>,
  ) {
    this.file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    this.file.on('error', () => {
      this.failed = true;
    });
  }

  /**
   * Queues `chunk` (not modified afterwards by the caller); gives up (silently) when the pack is
   * too big. Returns a promise when the file lags `MAX_LAG_BYTES` behind: wait for it before
   * writing more.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.failed) return undefined;
    this.written += chunk.length;
    if (this.written > this.maxSize) {
      this.failed = true;
      return undefined;
    }
    this.file.write(chunk);
    this.last = chunk;
    if (this.file.writableLength <= MAX_LAG_BYTES) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.file.off('drain', done);
        this.file.off('close', done);
        resolve();
      };
      this.file.on('drain', done);
      this.file.on('close', done);
    });
  }

  /**
   * Publishes the entry if every byte was written; otherwise drops it. `index`: the pack's entry
   * index (`PackEntryIndexBuilder`), kept beside it with a copy of the pack's checksum, so a
   * reader never pairs it with another pack of the same key.
   */
  async commit(index?: Buffer): Promise<void> {
    const finished = await this.close();
    if (!finished || this.failed) {
      await rm(this.temp, { force: true });
      return;
    }
    let kept: Buffer | undefined;
    try {
      await rm(this.indexTarget, { force: true });
      if (index && this.last.length <= MAX_CHECKSUM_LENGTH) {
        const indexTemp = `${this.temp}${INDEX_SUFFIX}`;
        kept = Buffer.concat([index, this.last]);
        await writeFile(indexTemp, kept, { flag: 'wx', mode: 0o600 });
        await rename(indexTemp, this.indexTarget);
      }
      await rename(this.temp, this.target);
    } catch {
      // The temp file is gone (a starting server removed leftovers): the entry is simply not kept.
      await rm(this.temp, { force: true });
      return;
    }
    await this.afterCommit(kept);
  }

  async abort(): Promise<void> {
    this.failed = true;
    await this.close();
    await rm(this.temp, { force: true });
  }

  private close(): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.file.closed) {
        resolve(!this.failed);
        return;
      }
      this.file.end(() => resolve(!this.failed));
      this.file.once('error', () => resolve(false));
    });
  }
}
