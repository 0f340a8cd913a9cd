/** A link or image of a Markdown file that points inside its own repository. */
export interface RepoTarget {
  /** Path inside the repository, normalised (no `.`, `..` or empty segments); '' is the root. */
  readonly path: string;
  /** The written path ended with `/` (or was only a query): a directory. */
  readonly directory: boolean;
  /** `#fragment` as written, or ''. */
  readonly fragment: string;
}

/** `https:`, `mailto:`, `javascript:` … or `//host`: not a path of the repository. */
const HAS_SCHEME = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * Resolves `href` as written in the file at `filePath` (GitHub's rules: relative to the file's
 * directory; a leading `/` is the repository's root; `..` never climbs above the root). →
 * undefined for absolute URLs and pure `#anchors`, which are not repository paths.
 */
export function resolveRepoTarget(filePath: string, href: string): RepoTarget | undefined {
  const trimmed = href.trim();
  if (trimmed === '' || trimmed.startsWith('#') || HAS_SCHEME.test(trimmed)) return undefined;
  const hashAt = trimmed.indexOf('#');
  const fragment = hashAt < 0 ? '' : trimmed.slice(hashAt);
  const withoutHash = hashAt < 0 ? trimmed : trimmed.slice(0, hashAt);
  const written = withoutHash.split('?')[0] ?? '';
  const base = written.startsWith('/') ? [] : filePath.split('/').filter(Boolean).slice(0, -1);
  const segments = [...base];
  for (const raw of written.split('/')) {
    const segment = decodeSegment(raw);
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return {
    path: segments.join('/'),
    directory: written === '' || written.endsWith('/') || /(^|\/)\.\.?$/.test(written),
    fragment,
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
