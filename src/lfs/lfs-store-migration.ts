import type { LfsBlobStore } from '../storage/lfs/lfs-blob-store.js';
import type { LfsStore } from '../storage/lfs/lfs-store.js';

/** Catalogue rows read per query while copying. */
const PAGE_SIZE = 500;

export interface StoreMigrationProgress {
  /** Copied now, verified by the target store (sha256 and size). */
  copied: number;
  /** Already in the target with the catalogued size (an earlier, interrupted run). */
  present: number;
  /** Catalogued objects the source store does not hold. */
  readonly missing: string[];
  /** Objects whose copy failed, with the reason. */
  readonly failed: Array<{ oid: string; message: string }>;
  bytes: number;
}

/**
 * Copies every catalogued LFS object from one blob store to another (`mega lfs migrate-store`).
 * Each copy goes through the target's verified `put` (sha256 and size), so a damaged source
 * object is reported, not copied. Resumable: objects the target already holds with the
 * catalogued size are skipped. Nothing is deleted from the source; the operator switches
 * `MEGA_LFS_STORE` once a run reports no missing or failed object.
 */
export async function migrateLfsStore(
  catalogue: LfsStore,
  from: LfsBlobStore,
  to: LfsBlobStore,
  onObject: (oid: string, outcome: 'copied' | 'present' | 'missing' | 'failed') => void = () => {},
): Promise<StoreMigrationProgress> {
  const progress: StoreMigrationProgress = { copied: 0, present: 0, missing: [], failed: [], bytes: 0 };
  let after = '';
  for (;;) {
    const page = await catalogue.listStoredObjects(after, PAGE_SIZE);
    if (page.length === 0) return progress;
    for (const { oid, size } of page) {
      const outcome = await copyOne(from, to, oid, size, progress);
      onObject(oid, outcome);
    }
    after = page[page.length - 1]!.oid;
  }
}

async function copyOne(
  from: LfsBlobStore,
  to: LfsBlobStore,
  oid: string,
  size: number,
  progress: StoreMigrationProgress,
): Promise<'copied' | 'present' | 'missing' | 'failed'> {
  try {
    if ((await to.stat(oid)) === size) {
      progress.present += 1;
      return 'present';
    }
    if ((await from.stat(oid)) === undefined) {
      progress.missing.push(oid);
      return 'missing';
    }
    const body = await from.open(oid);
    // `put` pipes the body once the target is ready; an error before then stays on the stream
    // (`errored`) and fails that pipeline, so it is not lost by this listener.
    body.once('error', () => {});
    await to.put(oid, () => body, size);
    progress.copied += 1;
    progress.bytes += size;
    return 'copied';
  } catch (error) {
    progress.failed.push({ oid, message: error instanceof Error ? error.message : String(error) });
    return 'failed';
  }
}
