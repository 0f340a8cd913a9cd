import type { DeploymentSecret } from '../platform/deployment-secret.js';
import type { LfsBlobStore } from '../storage/lfs/lfs-blob-store.js';
import type { LfsStore } from '../storage/lfs/lfs-store.js';
import { LfsLockService } from './lfs-lock-service.js';
import { LfsObjectService } from './lfs-object-service.js';
import { transferSigningKey } from './signing-key.js';

/** A staged upload untouched this long belongs to no running transfer. */
const STALE_TEMP_AGE_MS = 24 * 60 * 60 * 1000;

export interface LfsServices {
  readonly objects: LfsObjectService;
  readonly locks: LfsLockService;
}

export interface LfsServicesOptions {
  /** Storage's LFS store (`storage.lfs`). */
  readonly store: LfsStore;
  /** Storage's LFS blob store (`storage.lfsBlobs`: files, database rows or S3). */
  readonly blobs: LfsBlobStore;
  /** The deployment secret; derives the transfer-token key. */
  readonly secret: DeploymentSecret;
  readonly maxObjectBytes: number;
  readonly now?: () => Date;
}

/** Builds the LFS services over storage's LFS catalogue and blob store. */
export async function createLfsServices(options: LfsServicesOptions): Promise<LfsServices> {
  const { store, blobs } = options;
  await blobs.removeStaleUploads(STALE_TEMP_AGE_MS);
  const signingKey = transferSigningKey(options.secret);
  return {
    objects: new LfsObjectService({
      store,
      blobs,
      signingKey,
      maxObjectBytes: options.maxObjectBytes,
      now: options.now,
    }),
    locks: new LfsLockService(store, options.now),
  };
}
