import { setFlagsFromString } from 'node:v8';
import { invalid } from '../../platform/errors.js';
import { appendAll } from '../../platform/append-all.js';

/** Longest query accepted (literal or regex), in characters. */
export const MAX_QUERY_LENGTH = 1000;
/** Fewest characters a literal needs to use the trigram index. */
export const MIN_INDEXED_LITERAL = 3;
/**
 * Limits that keep every regex inside what V8's linear engine runs, and its run short: that
 * engine unrolls counted repetitions and gives up on patterns past a replication factor of 16
 * (they then stay on the backtracking engine), and its cost grows with the pattern's size.
 */
export const MAX_REGEX_LENGTH = 256;
/** Largest `{m,n}` bound, allowed on a single character or class only (not on a group). */
const MAX_REPEAT_BOUND = 16;
/** Most groups, and most quantifiers, in one regex. */
const MAX_GROUPS = 16;
const MAX_QUANTIFIERS = 16;
/** Longest line a regex is run on: longer ones (minified code, data) are not searched by regex. */
export const MAX_REGEX_LINE = 2000;

/*
 * Regexes run on V8's backtracking engine, which falls back to its linear-time engine (no
 * exponential blow-up) once a match backtracks too much. That fallback is off by default; it is a
 * process-wide V8 flag that changes no result, only how pathological matches are run, so it is
 * turned on when this module loads. The linear engine supports no backreferences, lookarounds,
 * and no `i` or `u` flag: such patterns are refused, and case-insensitive regexes are rewritten
 * into case-sensitive ones (`a` → `[aA]`) instead of using `i`.
 */
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
setFlagsFromString('--regexp-backtracks-before-fallback=1000');

/** A parsed query: the literals the index narrows by, and the line matcher that verifies. */
export interface SearchPattern {
  /** Substrings every matching line contains (case-insensitively), each ≥ 3 characters; may be empty. */
  readonly literals: readonly string[];
  /** Where the first match in `line` is, or undefined. */
  find(line: string): { readonly start: number; readonly end: number } | undefined;
}

export interface PatternOptions {
  readonly regex: boolean;
  readonly caseSensitive: boolean;
}

/** The query `q` as a pattern; `invalid` errors (400) for empty, oversized or unsafe ones. */
export function parsePattern(query: string, options: PatternOptions): SearchPattern {
  if (query.length === 0) throw invalid('search_query_invalid', 'the query is empty');
  if (query.length > MAX_QUERY_LENGTH) {
    throw invalid('search_query_too_long', `the query is longer than ${MAX_QUERY_LENGTH} characters`, {
      max: MAX_QUERY_LENGTH,
    });
  }
  // Lines are searched one at a time: a query spanning lines, or holding NUL, never matches.
  if (/[\0\r\n]/.test(query)) {
    throw invalid('search_query_invalid', 'the query may not contain NUL or line breaks');
  }
  return options.regex
    ? regexPattern(query, options.caseSensitive)
    : literalPattern(query, options.caseSensitive);
}

function literalPattern(query: string, caseSensitive: boolean): SearchPattern {
  const literals = query.length >= MIN_INDEXED_LITERAL ? [query] : [];
  if (caseSensitive) {
    return {
      literals,
      find(line) {
        const start = line.indexOf(query);
        return start < 0 ? undefined : { start, end: start + query.length };
      },
    };
  }
  const folded = query.toLowerCase();
  return {
    literals,
    find(line) {
      const lower = line.toLowerCase();
      const start = lower.indexOf(folded);
      // toLowerCase keeps lengths for all but a few characters; clamp for the others.
      return start < 0 ? undefined : { start, end: Math.min(line.length, start + query.length) };
    },
  };
}

function regexPattern(source: string, caseSensitive: boolean): SearchPattern {
  if (source.length > MAX_REGEX_LENGTH) {
    throw invalid('search_query_too_long', `a regex may be at most ${MAX_REGEX_LENGTH} characters`, {
      max: MAX_REGEX_LENGTH,
    });
  }
  const tokens = tokenize(source);
  const rewritten = caseSensitive ? source : tokens.map(foldToken).join('');
  let regex: RegExp;
  try {
    regex = new RegExp(rewritten);
  } catch (error) {
    throw invalid('search_regex_invalid', `invalid regular expression: ${(error as Error).message}`);
  }
  return {
    literals: requiredLiterals(tokens),
    find(line) {
      if (line.length > MAX_REGEX_LINE) return undefined;
      const found = regex.exec(line);
      return found ? { start: found.index, end: found.index + found[0].length } : undefined;
    },
  };
}

type Token =
  | { readonly kind: 'char'; readonly text: string; readonly char: string }
  | { readonly kind: 'class'; readonly text: string }
  | { readonly kind: 'anchor'; readonly text: string }
  | { readonly kind: 'open'; readonly text: string }
  | { readonly kind: 'close'; readonly text: string }
  | { readonly kind: 'alt'; readonly text: string }
  | { readonly kind: 'quant'; readonly text: string; readonly min: number };

/** Escapes that are classes of characters (`\d`) rather than one character. */
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S']);
/** Escapes that stand for one control character. */
const CONTROL_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  f: '\f',
  v: '\v',
  0: '\0',
};

function unsupported(what: string): never {
  throw invalid('search_regex_unsupported', `${what} is not supported in search regexes`);
}

/**
 * The pattern as tokens, refusing what the linear engine cannot run (backreferences,
 * lookarounds, `\p{…}`) and bounds or nesting past the limits. Syntax errors are left to
 * `new RegExp`, which reports them.
 */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let groups = 0;
  let quantifiers = 0;
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (char === '\\') {
      const next = source[index + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') unsupported('a backreference');
      if (next === 'p' || next === 'P') unsupported('a Unicode property escape');
      if (next === 'b' || next === 'B') tokens.push({ kind: 'anchor', text: `\\${next}` });
      else if (CLASS_ESCAPES.has(next)) tokens.push({ kind: 'class', text: `\\${next}` });
      else if (next === 'x' || next === 'u' || next === 'c') {
        // \xHH, \uHHHH, \cX: one character we do not fold or use as a literal.
        const length = next === 'x' ? 4 : next === 'u' ? 6 : 3;
        tokens.push({ kind: 'class', text: source.slice(index, index + length) });
        index += length;
        continue;
      } else if (next in CONTROL_ESCAPES)
        tokens.push({ kind: 'char', text: `\\${next}`, char: CONTROL_ESCAPES[next]! });
      else if (/[A-Za-z]/.test(next)) tokens.push({ kind: 'class', text: `\\${next}` });
      else tokens.push({ kind: 'char', text: `\\${next}`, char: next });
      index += 2;
      continue;
    }
    if (char === '[') {
      const end = classEnd(source, index);
      tokens.push({ kind: 'class', text: source.slice(index, end) });
      index = end;
      continue;
    }
    if (char === '(') {
      if (
        source.startsWith('(?=', index) ||
        source.startsWith('(?!', index) ||
        source.startsWith('(?<=', index) ||
        source.startsWith('(?<!', index)
      ) {
        unsupported('a lookaround');
      }
      groups += 1;
      if (groups > MAX_GROUPS)
        throw invalid('search_regex_too_broad', `a regex may have at most ${MAX_GROUPS} groups`);
      const named = /^\(\?<[A-Za-z_$][\w$]*>/.exec(source.slice(index));
      const text = source.startsWith('(?:', index) ? '(?:' : named ? named[0] : '(';
      tokens.push({ kind: 'open', text });
      index += text.length;
      continue;
    }
    if (char === ')') {
      tokens.push({ kind: 'close', text: ')' });
      index += 1;
      continue;
    }
    if (char === '|') {
      tokens.push({ kind: 'alt', text: '|' });
      index += 1;
      continue;
    }
    if (char === '^' || char === '$') {
      tokens.push({ kind: 'anchor', text: char });
      index += 1;
      continue;
    }
    if (char === '.') {
      tokens.push({ kind: 'class', text: '.' });
      index += 1;
      continue;
    }
    const quant = /^(?:[*+?]|\{(\d+)(?:,(\d*))?\})\??/.exec(source.slice(index));
    if (quant) {
      const min = quant[0][0] === '+' ? 1 : quant[0][0] === '{' ? Number(quant[1]) : 0;
      const max = quant[2] === undefined ? min : quant[2] === '' ? min : Number(quant[2]);
      quantifiers += 1;
      if (quantifiers > MAX_QUANTIFIERS) {
        throw invalid('search_regex_too_broad', `a regex may have at most ${MAX_QUANTIFIERS} quantifiers`);
      }
      if (quant[0][0] === '{') {
        if (min > MAX_REPEAT_BOUND || max > MAX_REPEAT_BOUND)
          unsupported(`a repetition bound above ${MAX_REPEAT_BOUND}`);
        const previous = tokens.at(-1);
        if (previous?.kind !== 'char' && previous?.kind !== 'class')
          unsupported('a counted repetition of a group');
      }
      tokens.push({ kind: 'quant', text: quant[0], min });
      index += quant[0].length;
      continue;
    }
    tokens.push({ kind: 'char', text: char, char });
    index += 1;
  }
  return tokens;
}

/** Index just past the `]` closing the class that opens at `start` (or the end: RegExp reports it). */
function classEnd(source: string, start: number): number {
  let index = start + 1;
  if (source[index] === '^') index += 1;
  if (source[index] === ']') index += 1; // `[]` and `[^]` are complete classes in JS, but `[]]`…
  while (index < source.length && source[index] !== ']') {
    if (source[index] === '\\') {
      const next = source[index + 1];
      if (next === 'p' || next === 'P') unsupported('a Unicode property escape');
      index += 2;
    } else index += 1;
  }
  return Math.min(source.length, index + 1);
}

/**
 * Substrings every match contains: the runs of plain characters of the top-level sequence, cut
 * wherever a class, group, anchor or optional repetition breaks them. A top-level alternation
 * promises nothing (either branch may match), so it yields none.
 */
function requiredLiterals(tokens: readonly Token[]): string[] {
  if (topLevel(tokens).some((token) => token.kind === 'alt')) return [];
  const literals: string[] = [];
  let run = '';
  const end = () => {
    if (run.length >= MIN_INDEXED_LITERAL) literals.push(run);
    run = '';
  };
  let depth = 0;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    if (token.kind === 'open') depth += 1;
    if (token.kind === 'close') depth -= 1;
    if (depth > 0 || token.kind !== 'char') {
      end();
      continue;
    }
    const next = tokens[index + 1];
    if (next?.kind === 'quant') {
      // x* and x? may be absent: the run ends before x. x+ and x{2,}: x is there, then the run ends.
      if (next.min > 0) run += token.char;
      end();
      continue;
    }
    run += token.char;
  }
  end();
  return literals;
}

function topLevel(tokens: readonly Token[]): Token[] {
  let depth = 0;
  const out: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'open') depth += 1;
    else if (token.kind === 'close') depth -= 1;
    else if (depth === 0) out.push(token);
  }
  return out;
}

/** The token made case-insensitive for ASCII letters without the `i` flag. */
function foldToken(token: Token): string {
  if (token.kind === 'char' && token.text.length === 1 && /[A-Za-z]/.test(token.char)) {
    return `[${token.char.toLowerCase()}${token.char.toUpperCase()}]`;
  }
  if (token.kind === 'class' && token.text.startsWith('[')) return foldClass(token.text);
  return token.text;
}

/** `[a-cX]` → `[a-cX` + `A-Cx]`: letters and letter ranges gain their other case. */
function foldClass(text: string): string {
  if (!text.endsWith(']') || text.length < 3) return text;
  const negated = text[1] === '^';
  const body = text.slice(negated ? 2 : 1, -1);
  const extra: string[] = [];
  let index = 0;
  while (index < body.length) {
    if (body[index] === '\\') {
      index += 2;
      continue;
    }
    const low = body[index]!;
    if (body[index + 1] === '-' && index + 2 < body.length && body[index + 2] !== '\\') {
      const high = body[index + 2]!;
      appendAll(extra, swappedRanges(low.charCodeAt(0), high.charCodeAt(0)));
      index += 3;
      continue;
    }
    if (/[A-Za-z]/.test(low)) extra.push(swapCase(low));
    index += 1;
  }
  return `[${negated ? '^' : ''}${body}${extra.join('')}]`;
}

function swapCase(char: string): string {
  return char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
}

/** The parts of `low…high` inside a-z and A-Z, as ranges of the other case. */
function swappedRanges(low: number, high: number): string[] {
  const out: string[] = [];
  for (const [from, to, shift] of [
    [0x61, 0x7a, -0x20],
    [0x41, 0x5a, 0x20],
  ] as const) {
    const start = Math.max(low, from);
    const end = Math.min(high, to);
    if (start <= end) out.push(`${String.fromCharCode(start + shift)}-${String.fromCharCode(end + shift)}`);
  }
  return out;
}
