import { statfs } from 'node:fs/promises';
import { sql } from 'kysely';
import type { DependencyState } from '../platform/readiness.js';
import type { LfsBlobStore } from './lfs/lfs-blob-store.js';
import type { MegaDatabase } from './open-database.js';
import { classifyDatabaseFault, STORAGE_FULL_MEMORY_MS } from './storage-faults.js';

/** A database that does not answer `select 1` within this is reported as failing. */
export const DATABASE_CHECK_TIMEOUT_MS = 5_000;

export interface StorageHealthOptions {
  readonly dataDir: string;
  /** Free bytes the data directory's file system must keep; below it the server is not ready. */
  readonly minFreeBytes: number;
  /** The LFS blob store, reported as `lfs_store` (an S3 bucket is a dependency of its own). */
  readonly lfsBlobs?: LfsBlobStore;
}

/**
 * The oid the store check looks up: sha256 of nothing. Whether or not the store holds it, the
 * lookup answers; only an unreachable or refusing store fails it.
 */
const PROBE_OID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function failureMessage(error: unknown): string {
  const fault = classifyDatabaseFault(error);
  if (fault) return fault.message;
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The storage dependencies of a server, as `/readyz` reports them: the database (a real query),
 * the LFS blob store when given (a lookup of one object), and the data directory's file system (free space against a threshold, and any write that met a
 * full disk in the last minutes, since a failed push frees its temp files again at once).
 */
export class StorageHealth {
  constructor(
    private readonly database: MegaDatabase,
    private readonly options: StorageHealthOptions,
  ) {}

  async check(): Promise<DependencyState[]> {
    const lfsBlobs = this.options.lfsBlobs;
    return Promise.all([
      this.checkDatabase(),
      this.checkDisk(),
      ...(lfsBlobs ? [this.checkLfsStore(lfsBlobs)] : []),
    ]);
  }

  async checkLfsStore(store: LfsBlobStore): Promise<DependencyState> {
    const details = { store: store.description };
    try {
      await withTimeout(
        store.stat(PROBE_OID),
        DATABASE_CHECK_TIMEOUT_MS,
        `the LFS store ${store.description}`,
      );
      return { name: 'lfs_store', ok: true, details };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { name: 'lfs_store', ok: false, message: `LFS store ${store.description}: ${message}`, details };
    }
  }

  async checkDatabase(): Promise<DependencyState> {
    try {
      await withTimeout(sql`select 1`.execute(this.database.db), DATABASE_CHECK_TIMEOUT_MS, 'the database');
      return { name: 'database', ok: true };
    } catch (error) {
      return { name: 'database', ok: false, message: failureMessage(error) };
    }
  }

  async checkDisk(): Promise<DependencyState> {
    const path = this.options.dataDir;
    const minFreeBytes = this.options.minFreeBytes;
    let freeBytes: number;
    try {
      const stats = await statfs(path);
      freeBytes = stats.bavail * stats.bsize;
    } catch (error) {
      const message = `cannot read the free space of ${path}: ${error instanceof Error ? error.message : String(error)}`;
      return { name: 'storage', ok: false, message, details: { path } };
    }
    const details = { path, freeBytes, minFreeBytes };
    if (freeBytes < minFreeBytes) {
      return {
        name: 'storage',
        ok: false,
        message: `only ${freeBytes} bytes free in ${path}, below the minimum of ${minFreeBytes}`,
        details,
      };
    }
    const full = this.database.faults.recentFull(STORAGE_FULL_MEMORY_MS);
    if (full) {
      return {
        name: 'storage',
        ok: false,
        message: `a write failed for lack of space ${Math.round((Date.now() - full.at) / 1000)} s ago: ${full.message}`,
        details: { ...details, lastFullAt: new Date(full.at).toISOString() },
      };
    }
    return { name: 'storage', ok: true, details };
  }
}
