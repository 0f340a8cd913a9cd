/**
 * Values shared by the LFS services and their HTTP routes. The routes turn the web layer's
 * principal and served repository into these, so `src/lfs` never imports the HTTP layer.
 */

/** The authenticated user acting on LFS (anonymous readers have no actor). */
export interface LfsActor {
  readonly userId: number;
  readonly username: string;
  readonly isAdmin: boolean;
}

/** The repository an LFS request addresses, as resolved by the repository resolver. */
export interface LfsRepository {
  /** Canonical path (`/projects/foo`): the scope of object membership and locks. */
  readonly path: string;
  /** False before the first push; uploads are still accepted (git-lfs uploads before pushing). */
  readonly exists: boolean;
}

export type LfsOperation = 'upload' | 'download';

/** Media type of every LFS API request and response body (git-lfs docs/api/batch.md). */
export const LFS_MEDIA_TYPE = 'application/vnd.git-lfs+json';

/** LFS object ids are the lowercase hex sha256 of the content (git-lfs docs/spec.md). */
export const LFS_OID_PATTERN = /^[0-9a-f]{64}$/;

export function isLfsOid(value: unknown): value is string {
  return typeof value === 'string' && LFS_OID_PATTERN.test(value);
}

/** RFC 3339 with second precision, as the locking API asks for `locked_at`. */
export function rfc3339Seconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}
