import { invalid } from '../platform/errors.js';

/**
 * Paths of the Mega directory as permissions see them: `/`, `/projects`, `/projects/team-a/app`
 * (normalised by the caller: leading `/`, no trailing `/`, no `.git`). A path is within itself
 * and within every ancestor; `/projects/a` is not within `/projects/ab`.
 */
export function isWithin(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The parent path (`/projects/a` → `/projects`, `/projects` → `/`); `/` has none. */
export function parentOf(path: string): string | undefined {
  if (path === '/') return undefined;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** Longest path a grant, setting or protected-branch pattern may be set on (as repository paths). */
export const MAX_ACCESS_PATH_LENGTH = 1024;

/**
 * The canonical form of a path given by an operator or a REST caller: `/`, or `/` then segments
 * without `.`/`..`/empty ones, control characters or backslashes; a trailing `/` and a trailing
 * `.git` are dropped (`projects/app.git/` → `/projects/app`), so one path has one spelling and
 * a grant always lands where the served repository's path will look for it.
 */
export function parseAccessPath(input: string): string {
  const trimmed = input.replace(/\/+$/, '');
  const withoutGit = trimmed.endsWith('.git') ? trimmed.slice(0, -'.git'.length) : trimmed;
  if (withoutGit === '') return '/';
  if (withoutGit.length > MAX_ACCESS_PATH_LENGTH) {
    throw invalid('access_path_invalid', 'path is too long', { limit: MAX_ACCESS_PATH_LENGTH });
  }
  const segments = withoutGit.replace(/^\//, '').split('/');
  for (const segment of segments) {
    if (
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      segment.toLowerCase().endsWith('.git') ||
      /[\u0000-\u001f\u007f\\]/.test(segment)
    ) {
      throw invalid('access_path_invalid', 'invalid path: use /dir/repo (no "..", "." or ".git")', {
        path: input,
      });
    }
  }
  return `/${segments.join('/')}`;
}
