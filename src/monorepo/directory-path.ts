import { invalid, notFound } from '../platform/errors.js';
import { isSafeSegment } from './b-link.js';

/**
 * The URL paths the Mega directory answers (SPEC §6): the root `/`, everything under `/projects`
 * and everything under `/import`. This is the syntactic half of resolution; which part of a path
 * is a directory, a repository (a b-link) or a subdirectory inside one is decided against the
 * directory tree by `locate-path.ts`.
 */
export type DirectoryArea = 'projects' | 'import';

export const AREAS: readonly DirectoryArea[] = ['projects', 'import'];

export type ParsedDirectoryPath =
  | { readonly kind: 'root'; readonly path: '/' }
  | {
      readonly kind: 'area';
      readonly area: DirectoryArea;
      /** Canonical path: `/projects/a/b`. */
      readonly path: string;
      /** Segments after the area name (empty for `/projects` itself). */
      readonly rest: readonly string[];
    };

/** Longest path accepted, in bytes, and deepest nesting (bounds for hostile URLs). */
export const MAX_DIRECTORY_PATH_BYTES = 1024;
export const MAX_DIRECTORY_DEPTH = 32;

/**
 * Parses a repository path as the web layer hands it over (leading `/`, an optional trailing
 * `.git` already removed or not). Throws `invalid` for traversal, empty segments, `.git` segments
 * and control characters, and `not_found` for a path outside `/projects` and `/import`.
 */
export function parseDirectoryPath(raw: string): ParsedDirectoryPath {
  if (Buffer.byteLength(raw) > MAX_DIRECTORY_PATH_BYTES) {
    throw invalid('directory_path_invalid', 'path is too long', { limit: MAX_DIRECTORY_PATH_BYTES });
  }
  let path = raw.endsWith('.git') && !raw.endsWith('/.git') ? raw.slice(0, -'.git'.length) : raw;
  if (path === '' || path === '/') return { kind: 'root', path: '/' };
  if (!path.startsWith('/')) throw invalid('directory_path_invalid', 'path must start with /');
  if (path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.slice(1).split('/');
  if (segments.length > MAX_DIRECTORY_DEPTH) {
    throw invalid('directory_path_invalid', 'path is nested too deeply', { limit: MAX_DIRECTORY_DEPTH });
  }
  for (const segment of segments) {
    if (!isSafeSegment(segment)) {
      throw invalid('directory_path_invalid', 'path has an empty, dot, .git or control-character segment');
    }
  }
  const [first, ...rest] = segments;
  const area = AREAS.find((name) => name === first);
  if (!area) {
    throw notFound('directory_path_not_found', `no such path in the Mega directory: ${path}`, { path });
  }
  return { kind: 'area', area, path: `/${segments.join('/')}`, rest };
}

/** Joins path segments under the root: `joinPath(['projects','a'])` → `/projects/a`. */
export function joinPath(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}

/** `/projects/a/b` → `['projects','a','b']`; `/` → `[]`. */
export function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}
