import type { ObjectId } from '../../git/object-id.js';
import { entryKind, type EntryKind, type TreeEntry } from '../../git/tree.js';
import { invalid, notFound } from '../../platform/errors.js';
import type { ObjectReader } from './object-reader.js';

/** Longest path inside a repository accepted by the browsing API. */
export const MAX_TREE_PATH_LENGTH = 4096;

/**
 * Splits a path inside a tree into its segments. `''` and `/` are the root. Empty, `.` and `..`
 * segments, NUL and other control characters are refused, so a path can only name an entry that
 * really exists under the root (no traversal, no aliases).
 */
export function splitTreePath(path: string): string[] {
  if (path.length > MAX_TREE_PATH_LENGTH) {
    throw invalid('path_too_long', 'path too long', { limit: MAX_TREE_PATH_LENGTH });
  }
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  const segments = trimmed.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\u007f]/.test(segment)) {
      throw invalid('path_invalid', 'invalid path', { path: path.slice(0, 200) });
    }
  }
  return segments;
}

/** What a path resolves to inside a commit's tree. */
export interface ResolvedPath {
  /** Canonical path without leading or trailing `/` (`''` = root). */
  readonly path: string;
  readonly id: ObjectId;
  readonly kind: EntryKind;
  /** Octal mode; the root tree has `40000`. */
  readonly mode: string;
}

/** Walks `segments` down from `rootTree`; `notFound` when any segment is missing. */
export async function resolveTreePath(
  reader: ObjectReader,
  rootTree: ObjectId,
  segments: readonly string[],
): Promise<ResolvedPath> {
  let current: ResolvedPath = { path: '', id: rootTree, kind: 'tree', mode: '40000' };
  for (const segment of segments) {
    if (current.kind !== 'tree') throw pathNotFound(segments);
    const entry: TreeEntry | undefined = (await reader.tree(current.id)).find(
      (item) => item.name === segment,
    );
    if (!entry) throw pathNotFound(segments);
    current = {
      path: current.path === '' ? segment : `${current.path}/${segment}`,
      id: entry.id,
      kind: entryKind(entry.mode),
      mode: entry.mode,
    };
  }
  return current;
}

/** The id at `segments`, or undefined when the path does not exist (for history walks). */
export async function idAtPath(
  reader: ObjectReader,
  rootTree: ObjectId,
  segments: readonly string[],
): Promise<ObjectId | undefined> {
  let id = rootTree;
  for (const segment of segments) {
    const entry = (await reader.tree(id)).find((item) => item.name === segment);
    if (!entry) return undefined;
    id = entry.id;
    if (entryKind(entry.mode) !== 'tree' && segment !== segments[segments.length - 1]) return undefined;
  }
  return id;
}

function pathNotFound(segments: readonly string[]) {
  return notFound('path_not_found', 'path not found', { path: segments.join('/') });
}

/** The entry at `segments` (id and mode), or undefined when the path does not exist. */
export async function entryAtPath(
  reader: ObjectReader,
  rootTree: ObjectId,
  segments: readonly string[],
): Promise<{ id: ObjectId; kind: EntryKind } | undefined> {
  let current: { id: ObjectId; kind: EntryKind } = { id: rootTree, kind: 'tree' };
  for (const segment of segments) {
    if (current.kind !== 'tree') return undefined;
    const entry = (await reader.tree(current.id)).find((item) => item.name === segment);
    if (!entry) return undefined;
    current = { id: entry.id, kind: entryKind(entry.mode) };
  }
  return current;
}
