import { invalid } from '../../platform/errors.js';
import type { Storage } from '../../storage/storage.js';
import { parsePattern, type SearchPattern } from './search-pattern.js';

/** Most matching lines one query returns. */
export const MAX_SEARCH_LIMIT = 200;
export const DEFAULT_SEARCH_LIMIT = 50;
/** Characters of a matching line returned (a window around the match when the line is longer). */
export const MAX_LINE_TEXT = 300;
/** Longest `path` filter. */
const MAX_FILTER_LENGTH = 1024;
/** Candidate files fetched per round trip. */
const CANDIDATE_PAGE = 100;
/**
 * Work one query may do before it answers with what it has (`capped`): candidate files read and
 * verified, their bytes, and wall time. A broad query (a common word, a regex without literals
 * inside a big path) stops here instead of reading the whole index.
 */
export const SEARCH_BUDGET = { files: 5000, bytes: 64 * 1024 * 1024, millis: 2000 } as const;

/** What a caller may read (`Permissions` from `src/access` fits). */
export interface SearchReader {
  canRead(path: string): boolean;
}

export interface SearchQuery {
  readonly q: string;
  readonly regex?: boolean;
  readonly caseSensitive?: boolean;
  /** A path of the Mega directory (`/projects/foo/src`): only files at or under it. */
  readonly path?: string;
  readonly limit?: number;
}

export interface SearchMatch {
  /** The repository's path (`/import/express`, `/` for the Mega directory's own files). */
  readonly repository: string;
  /** The file's path inside the repository. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** The line, or a window of it of at most `MAX_LINE_TEXT` characters around the match. */
  readonly text: string;
  /** The match inside `text`: [start, end) in UTF-16 code units. */
  readonly highlight: readonly [number, number];
}

export interface SearchResult {
  readonly matches: readonly SearchMatch[];
  /** True when more matches may exist: the limit was reached or the work budget ran out. */
  readonly capped: boolean;
  /** Why it stopped early: `limit`, `budget` (files, bytes or time). */
  readonly cappedBy?: 'limit' | 'budget';
}

/**
 * Code search over the index (`storage.search`): literal or regex, narrowed by the trigram index
 * to candidate files, verified line by line here. Only repositories (and paths in them) the reader
 * may read take part, and they are chosen before the index is asked, so nothing hidden counts
 * toward the limit or the `capped` flag.
 */
export class CodeSearch {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  async search(query: SearchQuery, reader: SearchReader): Promise<SearchResult> {
    const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      throw invalid('paging_invalid', `limit must be 1…${MAX_SEARCH_LIMIT}`, { max: MAX_SEARCH_LIMIT });
    }
    const filter = normalizeFilter(query.path);
    const pattern = parsePattern(query.q, {
      regex: query.regex ?? false,
      caseSensitive: query.caseSensitive ?? false,
    });
    if (pattern.literals.length === 0 && filter === '/') {
      throw invalid(
        query.regex ? 'search_regex_too_broad' : 'search_query_too_short',
        query.regex
          ? 'the regex has no literal of 3 or more characters every match contains: add one, or narrow the search with a path'
          : 'search for at least 3 characters, or narrow the search with a path',
      );
    }
    const scopes = await this.scopes(filter, reader);
    const started = this.now();
    const matches: SearchMatch[] = [];
    const spent = { files: 0, bytes: 0 };
    const overBudget = () =>
      spent.files >= SEARCH_BUDGET.files ||
      spent.bytes >= SEARCH_BUDGET.bytes ||
      this.now() - started >= SEARCH_BUDGET.millis;
    for (const scope of scopes) {
      let afterId = 0;
      for (;;) {
        if (overBudget()) return { matches, capped: true, cappedBy: 'budget' };
        const page = await this.storage.search.candidates({
          repoIds: [...scope.repositories.keys()],
          literals: pattern.literals,
          ...(scope.pathPrefix ? { pathPrefix: scope.pathPrefix } : {}),
          afterId,
          limit: CANDIDATE_PAGE,
        });
        for (const file of page) {
          afterId = file.id;
          spent.files += 1;
          spent.bytes += file.content.length;
          const repository = scope.repositories.get(file.repoId);
          if (repository === undefined) continue;
          if (scope.pathPrefix !== undefined && !underPrefix(file.path, scope.pathPrefix)) continue;
          const fullPath = joinPath(repository, file.path);
          if (!underFilter(fullPath, filter) || !reader.canRead(fullPath)) continue;
          for (const match of matchLines(file.content, pattern, limit - matches.length)) {
            matches.push({ repository, path: file.path, ...match });
          }
          if (matches.length >= limit) return { matches, capped: true, cappedBy: 'limit' };
          if (overBudget()) return { matches, capped: true, cappedBy: 'budget' };
        }
        if (page.length < CANDIDATE_PAGE) break;
      }
    }
    return { matches, capped: false };
  }

  /**
   * The indexed, readable repositories the filter reaches, grouped by the path prefix inside
   * them that the filter implies (none when the repository lies under the filter).
   */
  private async scopes(filter: string, reader: SearchReader) {
    const heads = new Map((await this.storage.search.heads()).map((head) => [head.repoId, head.repoPath]));
    const groups = new Map<string, { pathPrefix: string | undefined; repositories: Map<number, string> }>();
    for (const repository of await this.storage.repositories.list()) {
      // An index row under another path belongs to a deleted repository whose id came back.
      if (heads.get(repository.id) !== repository.path || !reader.canRead(repository.path)) continue;
      let pathPrefix: string | undefined;
      if (filter !== '/' && filter !== repository.path && !repository.path.startsWith(`${filter}/`)) {
        const inside = repository.path === '/' ? '/' : `${repository.path}/`;
        if (!filter.startsWith(inside)) continue;
        pathPrefix = filter.slice(inside.length);
      }
      const key = pathPrefix ?? '';
      const group = groups.get(key) ?? { pathPrefix, repositories: new Map<number, string>() };
      group.repositories.set(repository.id, repository.path);
      groups.set(key, group);
    }
    return [...groups.values()];
  }
}

/** The `path` filter as a clean absolute path (`/` when absent); `invalid` for a bad one. */
function normalizeFilter(path: string | undefined): string {
  if (path === undefined || path === '' || path === '/') return '/';
  const bad = (why: string) => invalid('search_path_invalid', `path ${why}`);
  if (path.length > MAX_FILTER_LENGTH) throw bad(`is longer than ${MAX_FILTER_LENGTH} characters`);
  if (!path.startsWith('/')) throw bad('must start with /');
  if (/[\u0000-\u001f\u007f]/.test(path)) throw bad('may not contain control characters');
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) throw bad('may not contain . or ..');
  return `/${segments.join('/')}`;
}

function joinPath(repository: string, file: string): string {
  return repository === '/' ? `/${file}` : `${repository}/${file}`;
}

function underFilter(fullPath: string, filter: string): boolean {
  return filter === '/' || fullPath === filter || fullPath.startsWith(`${filter}/`);
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The first `max` matching lines of `content`, each cut to a window around its match. */
function* matchLines(
  content: string,
  pattern: SearchPattern,
  max: number,
): Generator<Omit<SearchMatch, 'repository' | 'path'>> {
  let found = 0;
  let lineNumber = 0;
  let start = 0;
  while (start < content.length && found < max) {
    const newline = content.indexOf('\n', start);
    const end = newline < 0 ? content.length : newline;
    lineNumber += 1;
    let line = content.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const match = pattern.find(line);
    if (match) {
      found += 1;
      yield { line: lineNumber, ...window(line, match.start, match.end) };
    }
    if (newline < 0) break;
    start = newline + 1;
  }
}

function window(line: string, start: number, end: number): Pick<SearchMatch, 'text' | 'highlight'> {
  if (line.length <= MAX_LINE_TEXT) return { text: line, highlight: [start, end] };
  // Some context before the match, then as much of it and after as fits.
  const from = Math.max(0, Math.min(start - 40, line.length - MAX_LINE_TEXT));
  const text = line.slice(from, from + MAX_LINE_TEXT);
  return { text, highlight: [start - from, Math.min(end - from, text.length)] };
}
