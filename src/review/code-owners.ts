/**
 * CODEOWNERS files (GitHub and GitLab syntax) parsed into sections of rules, and the rule that
 * owns a path. Pure: reading the files and resolving owners to users is `code-owner-lookup.ts`.
 *
 * What is supported (see src/review/README.md for the whole picture):
 * - one rule a line: `pattern owner…`; `#` starts a comment line (`\#` is a literal `#`), blank
 *   lines are skipped, `\ ` is a space inside a pattern;
 * - owners: `@user`, `@group` (a user group), `@org/team` (the group `team`), `name@example.com`
 *   (the user with that e-mail). Anything else is skipped with a warning. A rule without owners
 *   makes the paths it matches unowned (GitHub);
 * - patterns as in `.gitignore`: `*` and `?` within one segment, `[a-z]` classes, `**` across
 *   segments; a leading `/` or a `/` inside the pattern anchors it at the file's directory,
 *   otherwise it matches at any depth; a trailing `/` matches directories only. A pattern that
 *   matches a directory owns everything below it, except when its last segment is a single `*`
 *   (`docs/*` owns `docs/a.md`, not `docs/sub/b.md`, as GitHub documents);
 * - the last matching rule of a section wins;
 * - GitLab sections: `[Name]`, `^[Name]` (optional: reported, never required), `[Name][2]` (the
 *   count is read and ignored: one approval per section), default owners after the header for
 *   rules of the section that name none. Rules before the first header form the default section
 *   (`''`). Sections of the same name (case-insensitive) are one section. Each section that has a
 *   matching rule with owners needs its own approval, as in GitLab;
 * - bounds: files over `MAX_CODEOWNERS_BYTES` are ignored whole (with a warning, and the merge
 *   status shows it); patterns over `MAX_PATTERN_LENGTH` and lines over `MAX_LINE_LENGTH` are
 *   skipped with a warning. Matching is a memoised walk over (pattern, path) positions: no
 *   backtracking blow-up whatever the pattern.
 */

/** Largest CODEOWNERS file read (GitHub's limit is 3 MB; 64 KiB is plenty for a directory level). */
export const MAX_CODEOWNERS_BYTES = 64 * 1024;
export const MAX_PATTERN_LENGTH = 512;
export const MAX_LINE_LENGTH = 4096;
/** Owners kept per rule; more is not a real file. */
export const MAX_OWNERS_PER_RULE = 64;
/** Warnings kept per file (a hostile file would otherwise produce one per line). */
const MAX_WARNINGS = 20;

export type OwnerRef =
  | { readonly kind: 'name'; readonly name: string } // `@alice`: a user, else a group
  | { readonly kind: 'group'; readonly name: string; readonly text: string } // `@org/team`
  | { readonly kind: 'email'; readonly email: string };

export interface OwnerRule {
  readonly pattern: string;
  readonly owners: readonly OwnerRef[];
  /** 1-based line in the file. */
  readonly line: number;
  readonly matches: (path: string) => boolean;
}

export interface OwnerSection {
  /** `''` for the rules before the first section header. */
  readonly name: string;
  readonly optional: boolean;
  readonly rules: readonly OwnerRule[];
}

export interface CodeOwnersFile {
  readonly sections: readonly OwnerSection[];
  readonly warnings: readonly string[];
}

/** The rule of one section that owns a path. */
export interface OwnerMatch {
  readonly section: string;
  readonly optional: boolean;
  readonly rule: OwnerRule;
}

const SECTION_HEADER = /^(\^)?\[([^\]]+)\](?:\[(\d{1,4})\])?(?:\s+(.*))?$/;

/** Parses a CODEOWNERS file; never throws (bad lines become warnings). */
export function parseCodeOwners(input: string | Buffer): CodeOwnersFile {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push(message);
  };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_CODEOWNERS_BYTES) {
    return { sections: [], warnings: [`file is over ${MAX_CODEOWNERS_BYTES} bytes: ignored`] };
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const sections = new Map<string, { name: string; optional: boolean; rules: OwnerRule[] }>();
  let current = { name: '', optional: false, rules: [] as OwnerRule[] };
  let defaults: OwnerRef[] = [];
  sections.set('', current);
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.length > MAX_LINE_LENGTH) return warn(`line ${lineNumber}: too long, skipped`);
    const header = SECTION_HEADER.exec(line);
    if (header && (header[4] === undefined || header[4].split(/\s+/).every(looksLikeOwner))) {
      const name = header[2]!.trim();
      const key = name.toLowerCase();
      const existing = sections.get(key);
      current = existing ?? { name, optional: header[1] === '^', rules: [] };
      if (!existing) sections.set(key, current);
      defaults = parseOwners(header[4] ?? '', lineNumber, warn);
      return;
    }
    const [pattern, rest] = splitPattern(line);
    if (pattern.length > MAX_PATTERN_LENGTH) return warn(`line ${lineNumber}: pattern too long, skipped`);
    const matches = compilePattern(pattern);
    if (!matches) return warn(`line ${lineNumber}: invalid pattern ${JSON.stringify(pattern.slice(0, 80))}`);
    const named = parseOwners(rest, lineNumber, warn);
    const owners = named.length > 0 || current.name === '' ? named : defaults;
    current.rules.push({ pattern, owners, line: lineNumber, matches });
  });
  return {
    sections: [...sections.values()].filter((section) => section.rules.length > 0),
    warnings,
  };
}

/** The winning rule of each section for `path` (relative to the file's directory, no leading `/`). */
export function ownersOf(file: CodeOwnersFile, path: string): OwnerMatch[] {
  const found: OwnerMatch[] = [];
  for (const section of file.sections) {
    for (let i = section.rules.length - 1; i >= 0; i--) {
      const rule = section.rules[i]!;
      if (rule.matches(path)) {
        found.push({ section: section.name, optional: section.optional, rule });
        break;
      }
    }
  }
  return found;
}

/** Splits a rule line into its pattern (escapes resolved) and the rest (the owners). */
function splitPattern(line: string): [string, string] {
  let pattern = '';
  let i = 0;
  for (; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length && /[\s#\\]/.test(line[i + 1]!)) {
      // Escaped space, `#` or backslash: literal. Other escapes stay for the glob (`\*`).
      pattern += line[i + 1] === '\\' ? '\\\\' : line[i + 1];
      i++;
      continue;
    }
    if (/\s/.test(ch)) break;
    pattern += ch;
  }
  return [pattern, line.slice(i).trim()];
}

function looksLikeOwner(token: string): boolean {
  return ownerOf(token) !== undefined;
}

function ownerOf(token: string): OwnerRef | undefined {
  if (/^@[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(token)) return { kind: 'name', name: token.slice(1) };
  const team =
    /^@[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:\/[A-Za-z0-9._-]{1,64})*\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.exec(
      token,
    );
  if (team) return { kind: 'group', name: team[1]!, text: token };
  if (token.length <= 254 && /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(token)) {
    return { kind: 'email', email: token.toLowerCase() };
  }
  return undefined;
}

function parseOwners(text: string, line: number, warn: (message: string) => void): OwnerRef[] {
  const owners: OwnerRef[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    if (token.startsWith('#')) break; // a trailing comment
    const owner = ownerOf(token);
    if (!owner) warn(`line ${line}: ${JSON.stringify(token.slice(0, 80))} is not an owner, skipped`);
    else if (owners.length < MAX_OWNERS_PER_RULE) owners.push(owner);
  }
  return owners;
}

type Token =
  | { readonly kind: 'char'; readonly ch: string }
  | { readonly kind: 'any' } // `?`
  | { readonly kind: 'star' } // `*` within a segment
  | { readonly kind: 'dirs' } // `**/`: zero or more whole segments
  | { readonly kind: 'rest' } // a final `**`: one or more characters, across segments
  | { readonly kind: 'class'; readonly negate: boolean; readonly ranges: ReadonlyArray<[string, string]> };

/**
 * Compiles a gitignore-style pattern into a matcher of file paths (relative, `/`-separated), or
 * undefined for a pattern that cannot match anything sensible (empty, `/` alone).
 */
export function compilePattern(pattern: string): ((path: string) => boolean) | undefined {
  let body = pattern;
  const dirOnly = body.endsWith('/');
  body = body.replace(/\/+$/, '');
  const rooted = body.startsWith('/');
  body = body.replace(/^\/+/, '');
  if (body === '') return undefined;
  const anchored = rooted || body.includes('/');
  const tokens = tokenize(anchored ? body : `**/${body}`);
  if (!tokens) return undefined;
  const segments = body.split('/');
  // GitHub: `docs/*` owns the files directly in docs, not deeper ones.
  const extendsBelow = segments[segments.length - 1] !== '*';
  return (path: string) => {
    const parts = path.split('/');
    if (!dirOnly && globMatch(tokens, path)) return true;
    if (!extendsBelow && !dirOnly) return false;
    for (let end = parts.length - 1; end >= 1; end--) {
      if (globMatch(tokens, parts.slice(0, end).join('/'))) {
        if (extendsBelow || end === parts.length - 1) return true;
      }
    }
    return false;
  };
}

function tokenize(pattern: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return undefined;
      tokens.push({ kind: 'char', ch: next });
      i++;
    } else if (ch === '*') {
      const atSegmentStart = i === 0 || pattern[i - 1] === '/';
      if (pattern[i + 1] === '*' && atSegmentStart) {
        let j = i;
        while (pattern[j] === '*') j++;
        if (pattern[j] === '/') {
          if (tokens.at(-1)?.kind !== 'dirs') tokens.push({ kind: 'dirs' });
          i = j;
          continue;
        }
        if (j === pattern.length) {
          tokens.push({ kind: 'rest' });
          i = j - 1;
          continue;
        }
      }
      // Runs of `*` inside a segment are one `*`.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') {
      tokens.push({ kind: 'any' });
    } else if (ch === '[') {
      const parsed = parseClass(pattern, i);
      if (!parsed) tokens.push({ kind: 'char', ch });
      else {
        tokens.push(parsed.token);
        i = parsed.end;
      }
    } else {
      tokens.push({ kind: 'char', ch });
    }
  }
  return tokens;
}

/** `[abc]`, `[a-z]`, `[!x]`/`[^x]`; an unclosed `[` is a literal. */
function parseClass(pattern: string, start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  const negate = pattern[i] === '!' || pattern[i] === '^';
  if (negate) i++;
  const ranges: Array<[string, string]> = [];
  let first = true;
  for (; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === ']' && !first) return { token: { kind: 'class', negate, ranges }, end: i };
    first = false;
    if (ch === '/') return undefined;
    if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
      ranges.push([ch, pattern[i + 2]!]);
      i += 2;
    } else {
      ranges.push([ch, ch]);
    }
  }
  return undefined;
}

/**
 * Whether `tokens` match the whole of `path`: dynamic programming over (token, position) from the
 * end, one row per token; O(tokens × path length) whatever the pattern, no recursion.
 */
function globMatch(tokens: readonly Token[], path: string): boolean {
  const n = path.length;
  // next[p]: whether tokens[t+1..] match path[p..].
  let next = new Uint8Array(n + 1);
  next[n] = 1;
  for (let t = tokens.length - 1; t >= 0; t--) {
    const token = tokens[t]!;
    const row = new Uint8Array(n + 1);
    let slashAhead = 0; // for `dirs`: some later `/` at q with next[q + 1]
    for (let p = n; p >= 0; p--) {
      const ch = path[p];
      switch (token.kind) {
        case 'char':
          row[p] = p < n && ch === token.ch ? next[p + 1]! : 0;
          break;
        case 'any':
          row[p] = p < n && ch !== '/' ? next[p + 1]! : 0;
          break;
        case 'class': {
          const inside = ch !== undefined && token.ranges.some(([lo, hi]) => ch >= lo && ch <= hi);
          row[p] = p < n && ch !== '/' && inside !== token.negate ? next[p + 1]! : 0;
          break;
        }
        case 'star':
          row[p] = next[p] || (p < n && ch !== '/' ? row[p + 1]! : 0);
          break;
        case 'dirs':
          if (p < n && ch === '/' && next[p + 1]) slashAhead = 1;
          row[p] = next[p] || slashAhead;
          break;
        case 'rest':
          row[p] = p < n ? 1 : 0;
          break;
      }
    }
    next = row;
  }
  return next[0] === 1;
}
