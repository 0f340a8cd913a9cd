/**
 * Tree entry names that some filesystem resolves to `.git` or to a dotfile git reads
 * (`.gitmodules`, `.gitattributes`, `.gitignore`, `.mailmap`): git's `verify_path` rules as
 * fsck applies them on every platform (CVE-2014-9390 and successors). Names are the raw bytes
 * `name[start, end)` of a tree object; a read past `end` is a NUL, as in git's C strings.
 *
 * - HFS+ ignores some Unicode code points inside names and folds case: `.g\u200cit` is `.git`.
 * - NTFS trims trailing dots and spaces (`.git. .`), maps the 8.3 short name `git~1`, and
 *   `.git::$INDEX_ALLOCATION` (an alternate data stream) is the directory itself. A backslash is
 *   a directory separator there, so each part after one is checked too.
 */
const DOT = 0x2e;
const SPACE = 0x20;
const COLON = 0x3a;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const TILDE = 0x7e;

/** Code points HFS+ ignores when comparing names (git utf8.c next_hfs_char). */
const HFS_IGNORED = new Set([
  0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d,
  0x206e, 0x206f, 0xfeff,
]);

function byteAt(name: Buffer, index: number, end: number): number {
  return index < end ? (name[index] as number) : 0;
}

function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * The length of the UTF-8 code point at `index` (git utf8.c pick_one_utf8_char, which refuses
 * overlong forms, surrogates, U+FFFE/U+FFFF and values above U+10FFFF), or 0 for a malformed
 * sequence; its value is `codePointAt`'s. Two calls rather than a pair returned: fsck checks the
 * names of every tree entry of a push, and a pair a code point was most of its garbage.
 */
function utf8Length(name: Buffer, index: number, end: number): number {
  const s0 = byteAt(name, index, end);
  if (s0 < 0x80) return 1;
  const s1 = byteAt(name, index + 1, end);
  const s2 = byteAt(name, index + 2, end);
  const s3 = byteAt(name, index + 3, end);
  if ((s0 & 0xe0) === 0xc0) {
    return !isContinuation(s1) || (s0 & 0xfe) === 0xc0 ? 0 : 2;
  }
  if ((s0 & 0xf0) === 0xe0) {
    if (!isContinuation(s1) || !isContinuation(s2)) return 0;
    if (s0 === 0xe0 && (s1 & 0xe0) === 0x80) return 0;
    if (s0 === 0xed && (s1 & 0xe0) === 0xa0) return 0;
    if (s0 === 0xef && s1 === 0xbf && (s2 & 0xfe) === 0xbe) return 0;
    return 3;
  }
  if ((s0 & 0xf8) === 0xf0) {
    if (!isContinuation(s1) || !isContinuation(s2) || !isContinuation(s3)) return 0;
    if (s0 === 0xf0 && (s1 & 0xf0) === 0x80) return 0;
    if ((s0 === 0xf4 && s1 > 0x8f) || s0 > 0xf4) return 0;
    return 4;
  }
  return 0;
}

/** The value of the well-formed UTF-8 code point of `length` bytes at `index`. */
function codePointAt(name: Buffer, index: number, end: number, length: number): number {
  const s0 = byteAt(name, index, end);
  if (length === 1) return s0;
  const s1 = byteAt(name, index + 1, end) & 0x3f;
  if (length === 2) return ((s0 & 0x1f) << 6) | s1;
  const s2 = byteAt(name, index + 2, end) & 0x3f;
  if (length === 3) return ((s0 & 0x0f) << 12) | (s1 << 6) | s2;
  return ((s0 & 0x07) << 18) | (s1 << 12) | (s2 << 6) | (byteAt(name, index + 3, end) & 0x3f);
}

/** Where `nextHfsChar` stopped: the index after the code point it returned. */
let hfsIndex = 0;

/**
 * The next significant code point from `index` (HFS+ ignorables skipped; git utf8.c
 * next_hfs_char), 0 at the end, -1 when the name is not UTF-8 there; `hfsIndex` is set past it.
 */
function nextHfsChar(name: Buffer, index: number, end: number): number {
  for (;;) {
    const length = utf8Length(name, index, end);
    if (length === 0) return -1;
    const value = codePointAt(name, index, end, length);
    index += length;
    if (!HFS_IGNORED.has(value)) {
      hfsIndex = index;
      return value;
    }
  }
}

/** git's is_hfs_dot_generic: `.` + needle (ASCII, case-folded) with ignorable code points anywhere. */
function isHfsDot(name: Buffer, start: number, end: number, needle: string): boolean {
  // The ignorable code points are all above ASCII: a name starting with another ASCII byte than
  // '.' is none of these (most names reach here for a first letter g or m).
  const first = byteAt(name, start, end);
  if (first < 0x80 && first !== DOT) return false;
  if (nextHfsChar(name, start, end) !== DOT) return false;
  for (let i = 0; i < needle.length; i++) {
    const c = nextHfsChar(name, hfsIndex, end);
    if (c < 0 || c > 127 || lower(c) !== needle.charCodeAt(i)) return false;
  }
  const last = nextHfsChar(name, hfsIndex, end);
  return last === 0 || last === SLASH;
}

/** git's is_ntfs_dotgit: `.git` or `git~1`, then only dots and spaces up to an end, separator or `:`. */
function isNtfsDotgit(name: Buffer, start: number, end: number): boolean {
  let i = start;
  const first = byteAt(name, i++, end);
  if (first === DOT) {
    if (lower(byteAt(name, i++, end)) !== 0x67) return false;
    if (lower(byteAt(name, i++, end)) !== 0x69) return false;
    if (lower(byteAt(name, i++, end)) !== 0x74) return false;
  } else if (lower(first) === 0x67) {
    if (lower(byteAt(name, i++, end)) !== 0x69) return false;
    if (lower(byteAt(name, i++, end)) !== 0x74) return false;
    if (byteAt(name, i++, end) !== TILDE) return false;
    if (byteAt(name, i++, end) !== 0x31) return false;
  } else {
    return false;
  }
  for (;;) {
    const c = byteAt(name, i++, end);
    if (c === 0 || c === SLASH || c === BACKSLASH || c === COLON) return true;
    if (c !== DOT && c !== SPACE) return false;
  }
}

/** From `i`: only dots and spaces until the end or a `:` (git: only_spaces_and_periods). */
function onlySpacesAndPeriods(name: Buffer, i: number, end: number): boolean {
  for (;;) {
    const c = byteAt(name, i++, end);
    if (c === 0 || c === COLON) return true;
    if (c !== SPACE && c !== DOT) return false;
  }
}

/**
 * git's is_ntfs_dot_generic: `.<needle>` trimmed as NTFS does, its regular 8.3 short name
 * (first six letters, `~1`…`~4`) or the hashed fall-back short name (`<prefix>~<digits>`).
 */
function isNtfsDot(name: Buffer, start: number, end: number, needle: string, shortPrefix: string): boolean {
  if (byteAt(name, start, end) === DOT) {
    let same = true;
    for (let i = 0; i < needle.length && same; i++) {
      same = lower(byteAt(name, start + 1 + i, end)) === needle.charCodeAt(i);
    }
    if (same) return onlySpacesAndPeriods(name, start + needle.length + 1, end);
  }
  let sixSame = true;
  for (let i = 0; i < 6 && sixSame; i++)
    sixSame = lower(byteAt(name, start + i, end)) === needle.charCodeAt(i);
  const seventh = byteAt(name, start + 7, end);
  if (sixSame && byteAt(name, start + 6, end) === TILDE && seventh >= 0x31 && seventh <= 0x34) {
    return onlySpacesAndPeriods(name, start + 8, end);
  }
  let sawTilde = false;
  let i = 0;
  for (; i < 8; i++) {
    const c = byteAt(name, start + i, end);
    if (c === 0) return false;
    if (sawTilde) {
      if (c < 0x30 || c > 0x39) return false;
    } else if (c === TILDE) {
      const digit = byteAt(name, start + ++i, end);
      if (digit < 0x31 || digit > 0x39) return false;
      sawTilde = true;
    } else if (i >= 6) {
      return false;
    } else if (c & 0x80) {
      return false;
    } else if (lower(c) !== shortPrefix.charCodeAt(i)) {
      return false;
    }
  }
  return onlySpacesAndPeriods(name, start + i, end);
}

/** A first byte that can start any of the names below (or their HFS forms); others skip all checks. */
export function mayBeSpecialName(name: Buffer, start: number, end: number): boolean {
  const first = byteAt(name, start, end);
  if (first === DOT || first >= 0x80) return true;
  const folded = lower(first);
  return folded === 0x67 || folded === 0x6d;
}

export function isDotgit(name: Buffer, start: number, end: number): boolean {
  return isHfsDot(name, start, end, 'git') || isNtfsDotgit(name, start, end);
}

export function isNtfsDotgitAt(name: Buffer, start: number, end: number): boolean {
  return isNtfsDotgit(name, start, end);
}

export function isDotgitmodules(name: Buffer, start: number, end: number): boolean {
  return isHfsDot(name, start, end, 'gitmodules') || isNtfsDot(name, start, end, 'gitmodules', 'gi7eba');
}

export function isNtfsDotgitmodules(name: Buffer, start: number, end: number): boolean {
  return isNtfsDot(name, start, end, 'gitmodules', 'gi7eba');
}

export function isDotgitattributes(name: Buffer, start: number, end: number): boolean {
  return (
    isHfsDot(name, start, end, 'gitattributes') || isNtfsDot(name, start, end, 'gitattributes', 'gi7d29')
  );
}

export function isDotgitignore(name: Buffer, start: number, end: number): boolean {
  return isHfsDot(name, start, end, 'gitignore') || isNtfsDot(name, start, end, 'gitignore', 'gi250a');
}

export function isDotmailmap(name: Buffer, start: number, end: number): boolean {
  return isHfsDot(name, start, end, 'mailmap') || isNtfsDot(name, start, end, 'mailmap', 'maba30');
}
