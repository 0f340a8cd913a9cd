/**
 * git's config file syntax (git-config(1) "CONFIGURATION FILE"; config.c git_parse_source), as
 * fsck reads a `.gitmodules` blob: `[section]`, `[section "subsection"]` (escapes kept
 * verbatim but for the backslash), the legacy `[section.subsection]`, `key = value` with quotes,
 * `\n \t \b \\ \"` escapes, line continuations and `#`/`;` comments. `onEntry` gets
 * `section.subsection.key` (section and key lower-cased) and the value, or null for a bare key.
 * Returns false at the first syntax error, after the entries before it were seen, as git does.
 *
 * git reads a blob's bytes as (signed) `char`s (config.c config_buf_fgetc), which has two
 * visible effects this reproduces: a UTF-8 BOM is not recognised (its first byte never equals
 * 0xEF as an int), so a blob starting with one does not parse; and a 0xFF byte reads as EOF.
 */
export function parseConfig(data: Buffer, onEntry: (name: string, value: string | null) => void): boolean {
  const reader = new CharReader(data);
  let comment = false;
  let base = '';
  for (;;) {
    const c = reader.next();
    if (c === LF) {
      if (reader.eof) return true;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (isSpace(c)) continue;
    if (c === HASH || c === SEMICOLON) {
      comment = true;
      continue;
    }
    if (c === OPEN_BRACKET) {
      const section = readSection(reader);
      if (section === undefined || section.length === 0) return false;
      base = `${section}.`;
      continue;
    }
    if (!isAlpha(c)) return false;
    if (!readEntry(reader, base + String.fromCharCode(lower(c)), onEntry)) return false;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const SEMICOLON = 0x3b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const DOT = 0x2e;
/** (char)0xFF is -1, git's EOF. */
const SIGNED_EOF = 0xff;

/** config.c get_next_char: CR LF reads as LF; the end reads as one final LF with `eof` set. */
class CharReader {
  private pos = 0;
  eof = false;

  constructor(private readonly data: Buffer) {}

  next(): number {
    if (this.pos >= this.data.length) {
      this.eof = true;
      return LF;
    }
    const c = this.data[this.pos++] as number;
    if (c === SIGNED_EOF) {
      this.eof = true;
      return LF;
    }
    if (c === CR && this.data[this.pos] === LF) {
      this.pos++;
      return LF;
    }
    return c;
  }
}

/** git's sane_ctype isspace: space, tab, LF, CR. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === LF || c === CR;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isKeyChar(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** config.c get_base_var / get_extended_base_var: the text after `[`, or undefined on an error. */
function readSection(reader: CharReader): string | undefined {
  let name = '';
  for (;;) {
    const c = reader.next();
    if (reader.eof) return undefined;
    if (c === CLOSE_BRACKET) return name;
    if (isSpace(c)) return readSubsection(reader, name, c);
    if (!isKeyChar(c) && c !== DOT) return undefined;
    name += String.fromCharCode(lower(c));
  }
}

function readSubsection(reader: CharReader, section: string, first: number): string | undefined {
  let c = first;
  do {
    if (c === LF) return undefined;
    c = reader.next();
  } while (isSpace(c));
  if (c !== QUOTE) return undefined;
  let name = `${section}.`;
  for (;;) {
    let d = reader.next();
    if (d === LF) return undefined;
    if (d === QUOTE) break;
    if (d === BACKSLASH) {
      d = reader.next();
      if (d === LF) return undefined;
    }
    name += String.fromCharCode(d);
  }
  return reader.next() === CLOSE_BRACKET ? name : undefined;
}

/** config.c get_value: the rest of the key, then `= value` or the end of the line. */
function readEntry(
  reader: CharReader,
  start: string,
  onEntry: (name: string, value: string | null) => void,
): boolean {
  let name = start;
  let c: number;
  for (;;) {
    c = reader.next();
    if (reader.eof || !isKeyChar(c)) break;
    name += String.fromCharCode(lower(c));
  }
  while (c === 0x20 || c === 0x09) c = reader.next();
  let value: string | null = null;
  if (c !== LF) {
    if (c !== EQUALS) return false;
    const parsed = readValue(reader);
    if (parsed === undefined) return false;
    value = parsed;
  }
  // The callback sees C strings: a NUL ends them.
  onEntry(cString(name), value === null ? null : cString(value));
  return true;
}

function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/** config.c parse_value. Undefined for an unterminated quote or an unknown escape. */
function readValue(reader: CharReader): string | undefined {
  let quote = false;
  let comment = false;
  let spaces = 0;
  let value = '';
  for (;;) {
    let c = reader.next();
    if (c === LF) return quote ? undefined : value;
    if (comment) continue;
    if (isSpace(c) && !quote) {
      if (value.length > 0) spaces++;
      continue;
    }
    if (!quote && (c === SEMICOLON || c === HASH)) {
      comment = true;
      continue;
    }
    for (; spaces > 0; spaces--) value += ' ';
    if (c === BACKSLASH) {
      c = reader.next();
      if (c === LF) continue;
      const escaped = ESCAPES.get(c);
      if (escaped === undefined) return undefined;
      value += escaped;
      continue;
    }
    if (c === QUOTE) {
      quote = !quote;
      continue;
    }
    value += String.fromCharCode(c);
  }
}

const ESCAPES = new Map<number, string>([
  [0x74, '\t'],
  [0x62, '\b'],
  [0x6e, '\n'],
  [BACKSLASH, '\\'],
  [QUOTE, '"'],
]);
