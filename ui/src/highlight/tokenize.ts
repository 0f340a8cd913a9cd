import type { Language, TokenClass } from './languages';

export interface Token {
  readonly text: string;
  readonly kind?: TokenClass;
}

/** Files bigger than this are shown without highlighting (as large-file viewers do). */
export const MAX_HIGHLIGHT_BYTES = 256 * 1024;

/**
 * Splits text into tokens by trying each rule at the current position (sticky regexes).
 * Unmatched characters are gathered into plain runs. Multi-line tokens (block comments) are kept
 * whole; `splitTokenLines` cuts them at line ends afterwards.
 */
export function tokenize(text: string, language: Language): Token[] {
  const tokens: Token[] = [];
  let plain = '';
  let pos = 0;
  const identifier = /[A-Za-z_$][\w$]*/y;
  outer: while (pos < text.length) {
    for (const [kind, pattern] of language.rules) {
      pattern.lastIndex = pos;
      const match = pattern.exec(text);
      if (match && match[0].length > 0) {
        if (plain) tokens.push({ text: plain });
        plain = '';
        tokens.push({ text: match[0], kind });
        pos += match[0].length;
        continue outer;
      }
    }
    // Skip a whole identifier so keywords are never matched inside longer names.
    identifier.lastIndex = pos;
    const word = identifier.exec(text);
    const step = word ? word[0].length : 1;
    plain += text.slice(pos, pos + step);
    pos += step;
  }
  if (plain) tokens.push({ text: plain });
  return tokens;
}

/** Tokens regrouped per line (so every line can carry its number and anchor). */
export function splitTokenLines(tokens: readonly Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    const parts = token.text.split('\n');
    parts.forEach((part, index) => {
      if (index > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push(token.kind ? { text: part, kind: token.kind } : { text: part });
    });
  }
  return lines;
}
