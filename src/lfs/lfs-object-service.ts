import type { Readable } from 'node:stream';
import { invalid, notFound, MegaError } from '../platform/errors.js';
import type { LfsBlobStore } from '../storage/lfs/lfs-blob-store.js';
import type { LfsObjectRecord, LfsStore } from '../storage/lfs/lfs-store.js';
import { parseBatchRequest } from './batch-request.js';
import { decideRange, type RangeDecision } from './byte-range.js';
import { isLfsOid, type LfsActor, type LfsOperation, type LfsRepository } from './lfs-types.js';
import {
  createTransferToken,
  TRANSFER_TOKEN_HEADER,
  TRANSFER_TOKEN_TTL_SECONDS,
  verifyTransferToken,
  type TransferGrant,
} from './transfer-token.js';

/** Per-object error codes of the batch API (git-lfs docs/api/batch.md, "Response Errors"). */
export const OBJECT_ERROR = { notFound: 404, hashAlgo: 409, removed: 410, invalid: 422 } as const;

export interface BatchAction {
  readonly href: string;
  readonly header: Readonly<Record<string, string>>;
  readonly expires_in: number;
}

export interface BatchResponseObject {
  readonly oid: unknown;
  readonly size: unknown;
  readonly authenticated?: boolean;
  readonly actions?: Readonly<Partial<Record<'upload' | 'download' | 'verify', BatchAction>>>;
  readonly error?: { readonly code: number; readonly message: string };
}

/**
 * What the batch decided for one requested object, before any href or token: transfer it (a
 * download of a present object, an upload of a missing one), nothing to do (an upload the
 * server already has), or a per-object error (`OBJECT_ERROR`). Both transports answer from it:
 * the HTTP batch with actions, `git-lfs-transfer` with its action lines.
 */
export type BatchDecision =
  | { readonly oid: string; readonly size: number; readonly action: 'download' | 'upload' | 'none' }
  | {
      readonly oid: unknown;
      readonly size: unknown;
      readonly error: { readonly code: number; readonly message: string };
    };

export interface BatchResponse {
  readonly transfer: 'basic';
  readonly objects: readonly BatchResponseObject[];
  readonly hash_algo: 'sha256';
}

/** A download about to be streamed: status, headers and the body (absent for 416). */
export interface ObjectDownload {
  readonly status: 200 | 206 | 416;
  readonly size: number;
  readonly range: RangeDecision;
  readonly body?: Readable;
}

export interface LfsObjectServiceDeps {
  readonly store: LfsStore;
  readonly blobs: LfsBlobStore;
  readonly signingKey: Buffer;
  /** Largest object accepted for upload, in bytes. */
  readonly maxObjectBytes: number;
  readonly now?: () => Date;
}

/**
 * Batch decisions and verified object transfers (git-lfs docs/api/batch.md and
 * basic-transfers.md). Content is deduplicated by oid in the blob store, but a repository only
 * serves objects linked to it (or to a directory path containing it, see `findVisibleObjects`): an upload through a repository links the object after the server
 * has hashed the uploaded bytes itself, so knowing an oid never grants its content.
 */
export class LfsObjectService {
  private readonly now: () => Date;

  constructor(private readonly deps: LfsObjectServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Answers a batch request. `lfsUrl` is the LFS endpoint as the client addressed it
   * (`http://host/repo.git/info/lfs`); hrefs point below it.
   */
  async batch(
    repo: LfsRepository,
    actor: LfsActor | undefined,
    body: unknown,
    lfsUrl: string,
  ): Promise<BatchResponse> {
    const request = parseBatchRequest(body);
    if (!request.transfers.includes('basic')) {
      throw invalid('lfs_transfer_unsupported', 'only the basic transfer adapter is supported', {
        transfers: request.transfers,
      });
    }
    const decisions = await this.decide(repo, request.operation, request.objects, request.hashAlgo);
    const objects = decisions.map((decision): BatchResponseObject => {
      if ('error' in decision) return decision;
      const { oid, size, action } = decision;
      // batch.md: an object the server already has gets no actions at all.
      if (action === 'none') return { oid, size };
      const transfer = this.action(lfsUrl, action, repo, actor, oid, size);
      const actions =
        action === 'download'
          ? { download: transfer }
          : { upload: transfer, verify: { ...transfer, href: `${lfsUrl}/objects/${oid}/verify` } };
      return { oid, size, authenticated: true, actions };
    });
    return { transfer: 'basic', objects, hash_algo: 'sha256' };
  }

  /**
   * The batch's decision for each object (checked one by one: a bad oid or size is that
   * object's 422, not the batch's failure). A download of an object the repository does not
   * have is a 404 (410 once removed); its size is the stored one.
   */
  async decide(
    repo: LfsRepository,
    operation: LfsOperation,
    requested: ReadonlyArray<{ readonly oid: unknown; readonly size: unknown }>,
    hashAlgo = 'sha256',
  ): Promise<BatchDecision[]> {
    const wellFormed = requested
      .filter((object) => isLfsOid(object.oid))
      .map((object) => object.oid as string);
    const known =
      repo.exists || operation === 'upload'
        ? await this.deps.store.findVisibleObjects(repo.path, wellFormed)
        : new Map<string, LfsObjectRecord>();
    const decisions: BatchDecision[] = [];
    for (const object of requested) {
      if (hashAlgo !== 'sha256') {
        decisions.push(objectError(object, OBJECT_ERROR.hashAlgo, 'only sha256 object ids are supported'));
        continue;
      }
      const problem = this.validate(object, operation);
      if (problem) {
        decisions.push(objectError(object, OBJECT_ERROR.invalid, problem));
        continue;
      }
      const oid = object.oid as string;
      const size = object.size as number;
      const record = known.get(oid);
      const present = record?.exists === true && (await this.deps.blobs.stat(oid)) === record.size;
      if (operation === 'upload') {
        decisions.push({ oid, size, action: present ? 'none' : 'upload' });
      } else if (record && !record.exists) {
        decisions.push(objectError(object, OBJECT_ERROR.removed, 'object was removed'));
      } else if (!record || !present) {
        decisions.push(objectError(object, OBJECT_ERROR.notFound, 'object does not exist'));
      } else {
        decisions.push({ oid, size: record.size, action: 'download' });
      }
    }
    return decisions;
  }

  private validate(object: { oid: unknown; size: unknown }, operation: LfsOperation): string | undefined {
    if (!isLfsOid(object.oid)) return 'invalid object id: expected 64 lowercase hex digits (sha256)';
    if (typeof object.size !== 'number' || !Number.isSafeInteger(object.size) || object.size < 0) {
      return 'invalid object size: expected a non-negative integer';
    }
    if (operation === 'upload' && object.size > this.deps.maxObjectBytes) {
      return `object too large: the limit is ${this.deps.maxObjectBytes} bytes`;
    }
    return undefined;
  }

  private action(
    lfsUrl: string,
    operation: LfsOperation,
    repo: LfsRepository,
    actor: LfsActor | undefined,
    oid: string,
    size: number,
  ): BatchAction {
    const token = createTransferToken(this.deps.signingKey, {
      operation,
      repoPath: repo.path,
      oid,
      size,
      userId: actor?.userId ?? 0,
      expiresAt: this.nowSeconds() + TRANSFER_TOKEN_TTL_SECONDS,
    });
    return {
      href: `${lfsUrl}/objects/${oid}`,
      header: { [TRANSFER_TOKEN_HEADER]: token },
      expires_in: TRANSFER_TOKEN_TTL_SECONDS,
    };
  }

  /** Checks the transfer header of an object request (401 when wrong or expired). */
  authorizeTransfer(token: string, operation: LfsOperation, repo: LfsRepository, oid: string): TransferGrant {
    return verifyTransferToken(this.deps.signingKey, token, {
      operation,
      repoPath: repo.path,
      oid: requireOid(oid),
      nowSeconds: this.nowSeconds(),
    });
  }

  /**
   * Stores an uploaded object: the blob store hashes the body while storing it and makes it
   * readable only when sha256 and size match (a wrong upload leaves nothing behind); then the
   * object is linked to the repository. `openBody` is called once the store is ready, so the body
   * never flows (or fails) before something consumes it.
   */
  async upload(
    repo: LfsRepository,
    oid: string,
    expectedSize: number | undefined,
    openBody: () => Readable,
  ): Promise<void> {
    requireOid(oid);
    const size = await this.deps.blobs.put(oid, openBody, expectedSize);
    await this.deps.store.recordObject(repo.path, oid, size, this.now().toISOString());
  }

  /** Opens an object of the repository for download, honouring a single `Range`. */
  async download(repo: LfsRepository, oid: string, rangeHeader: string | undefined): Promise<ObjectDownload> {
    requireOid(oid);
    const record = (await this.deps.store.findVisibleObjects(repo.path, [oid])).get(oid);
    if (record && !record.exists)
      throw new MegaError('not_found', 'lfs_object_removed', 'object was removed', { oid });
    const size = record ? await this.deps.blobs.stat(oid) : undefined;
    if (!record || size === undefined)
      throw notFound('lfs_object_not_found', 'object does not exist', { oid });
    const range = decideRange(rangeHeader, size);
    switch (range.kind) {
      case 'full':
        return { status: 200, size, range, body: await this.deps.blobs.open(oid) };
      case 'partial':
        return { status: 206, size, range, body: await this.deps.blobs.open(oid, range.span) };
      case 'unsatisfiable':
        return { status: 416, size, range };
    }
  }

  /** The verify action: 200 when the repository has the object with that size (basic-transfers.md). */
  async verify(repo: LfsRepository, body: unknown): Promise<void> {
    const { oid, size } = (typeof body === 'object' && body !== null ? body : {}) as {
      oid?: unknown;
      size?: unknown;
    };
    if (!isLfsOid(oid) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid('lfs_verify_invalid', 'verify needs a sha256 oid and a non-negative size');
    }
    const record = (await this.deps.store.findVisibleObjects(repo.path, [oid])).get(oid);
    if (!record?.exists || !(await this.deps.blobs.has(oid))) {
      throw notFound('lfs_object_not_found', 'object does not exist', { oid });
    }
    if (record.size !== size) {
      throw invalid('lfs_object_size_mismatch', 'stored size differs from the verified size', {
        expected: size,
        stored: record.size,
      });
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

function requireOid(oid: string): string {
  if (!isLfsOid(oid)) throw invalid('lfs_oid_invalid', 'invalid object id: expected 64 lowercase hex digits');
  return oid;
}

function objectError(object: { oid: unknown; size: unknown }, code: number, message: string): BatchDecision {
  return { oid: object.oid, size: object.size, error: { code, message } };
}
