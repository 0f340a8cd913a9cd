import { invalid } from '../platform/errors.js';

/**
 * The b-link file (seed 004 §1): a small blob in the Mega directory that stands for a hosted
 * repository, laid out like a Git LFS pointer —
 *
 *     version https://mega.com/directory/spec/v1
 *     path /projects/foo
 *
 * Exactly two LF-terminated lines in that order, nothing else. This module is the only place the
 * format is written or read; a b-link never changes once created (SPEC §6).
 */
export const BLINK_VERSION_URL = 'https://mega.com/directory/spec/v1';

const VERSION_LINE = `version ${BLINK_VERSION_URL}\n`;
const PATH_PREFIX = 'path ';

/** Bigger blobs are never b-links; lets a tree walk skip reading most files. */
export const MAX_BLINK_BYTES = VERSION_LINE.length + PATH_PREFIX.length + 1024 + 1;

/** Longest repository path a b-link may name, in bytes. */
export const MAX_BLINK_PATH_BYTES = 1024;

export interface BLink {
  /** Absolute repository path, e.g. `/projects/foo`. */
  readonly path: string;
}

/** The exact bytes of the b-link for `path` (validated). */
export function writeBLink(link: BLink): Buffer {
  validateRepoPath(link.path);
  return Buffer.from(`${VERSION_LINE}${PATH_PREFIX}${link.path}\n`, 'utf8');
}

/** Cheap test on size and prefix, before the strict parse. */
export function looksLikeBLink(size: number, head?: Buffer): boolean {
  if (size > MAX_BLINK_BYTES || size < VERSION_LINE.length + PATH_PREFIX.length + 2) return false;
  return head === undefined || head.subarray(0, VERSION_LINE.length).toString('latin1') === VERSION_LINE;
}

/**
 * Parses a blob as a b-link. Returns undefined when the blob is not one (an ordinary file that
 * does not start with the version line); throws `blink_invalid` when it starts like a b-link but
 * is malformed, so a corrupt link is reported instead of served as a file.
 */
export function parseBLink(data: Buffer): BLink | undefined {
  if (
    data.length < VERSION_LINE.length ||
    data.subarray(0, VERSION_LINE.length).toString('latin1') !== VERSION_LINE
  ) {
    return undefined;
  }
  if (data.length > MAX_BLINK_BYTES) throw invalid('blink_invalid', 'b-link file is too large');
  const text = data.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(data)) throw invalid('blink_invalid', 'b-link file is not UTF-8');
  const rest = text.slice(VERSION_LINE.length);
  if (!rest.startsWith(PATH_PREFIX) || !rest.endsWith('\n')) {
    throw invalid('blink_invalid', 'b-link file must have a path line ending in a newline');
  }
  const path = rest.slice(PATH_PREFIX.length, -1);
  if (path.includes('\n')) throw invalid('blink_invalid', 'b-link file has extra lines');
  validateRepoPath(path);
  return { path };
}

/**
 * A canonical absolute repository path: `/` then non-empty segments, no `.`/`..`, no `.git`
 * segment, no control characters or backslashes.
 */
export function validateRepoPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_BLINK_PATH_BYTES) {
    throw invalid('blink_invalid', 'repository path is too long', { limit: MAX_BLINK_PATH_BYTES });
  }
  if (!path.startsWith('/') || path === '/') {
    throw invalid('blink_invalid', 'repository path must be absolute and not the root');
  }
  for (const segment of path.slice(1).split('/')) {
    if (!isSafeSegment(segment)) throw invalid('blink_invalid', 'repository path has an invalid segment');
  }
}

/** A path segment that cannot escape, alias or hide: no `.`/`..`/empty, no `.git`, no controls. */
export function isSafeSegment(segment: string): boolean {
  if (segment === '' || segment === '.' || segment === '..') return false;
  if (segment.toLowerCase() === '.git' || segment.toLowerCase().endsWith('.git')) return false;
  return !/[\u0000-\u001f\u007f\\/:*?"<>|]/.test(segment);
}
