import { report, type FsckFinding, type FsckPolicy } from './fsck-report.js';
import type { ObjectFormat } from './object-format.js';
import { isValidRefName } from './ref-name.js';

const LF = 0x0a;
const SPACE = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
/** git date.c date_overflows: a timestamp must fit a signed 64-bit time_t. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** Reads like a C string: past the end is NUL. */
function at(data: Buffer, index: number): number {
  return index < data.length ? (data[index] as number) : 0;
}

function startsWith(data: Buffer, pos: number, prefix: string): boolean {
  if (pos + prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[pos + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** hex.c parse_oid_hex followed by a newline: the offset after the newline, or -1. */
function oidLine(data: Buffer, pos: number, format: ObjectFormat): number {
  for (let i = 0; i < format.hexLength; i++) if (!isHex(at(data, pos + i))) return -1;
  return at(data, pos + format.hexLength) === LF ? pos + format.hexLength + 1 : -1;
}

/** The offset after the next LF from `pos` (or the end). */
function nextLine(data: Buffer, pos: number): number {
  const lf = data.indexOf(LF, pos);
  return lf < 0 ? data.length : lf + 1;
}

/**
 * fsck.c verify_headers: no NUL before the blank line that ends the headers, and a header block
 * that ends in a newline. Both are fatal (they cannot be relaxed).
 */
function verifyHeaders(data: Buffer, policy: FsckPolicy, out: FsckFinding[]): boolean {
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === 0) return report(out, policy, 'nulInHeader', `unterminated header: NUL at offset ${i}`);
    if (c === LF && data[i + 1] === LF) return false;
  }
  if (data.length > 0 && data[data.length - 1] === LF) return false;
  return report(out, policy, 'unterminatedHeader', 'unterminated header');
}

/** The end of ident text from `pos`: the first `<`, `>`, newline or NUL (or the end). */
function identTextEnd(data: Buffer, pos: number): number {
  let p = pos;
  for (;;) {
    const c = at(data, p);
    if (c === 0 || c === LT || c === GT || c === LF) return p;
    p++;
  }
}

/** libc isspace, which strtoumax skips before the number. */
function isCSpace(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}

/** Reports a bad author/committer/tagger line; true when that is an error. */
function badIdent(
  out: FsckFinding[],
  policy: FsckPolicy,
  id: Parameters<typeof report>[2],
  what: string,
): boolean {
  return report(out, policy, id, `invalid author/committer line - ${what}`);
}

/**
 * fsck.c fsck_ident on `Name <email> <seconds> <+hhmm>` starting at `pos`; true when it reported
 * an error. The date is read as git reads it (strtoumax: leading blanks, a sign) and must fit
 * a signed 64-bit time. Nothing is allocated on a good line (an ingest checks two per commit).
 */
function checkIdent(data: Buffer, pos: number, policy: FsckPolicy, out: FsckFinding[]): boolean {
  let p = pos;
  if (at(data, p) === LT)
    return badIdent(out, policy, 'missingNameBeforeEmail', 'missing space before email');
  p = identTextEnd(data, p);
  if (at(data, p) === GT) return badIdent(out, policy, 'badName', 'bad name');
  if (at(data, p) !== LT) return badIdent(out, policy, 'missingEmail', 'missing email');
  if (at(data, p - 1) !== SPACE)
    return badIdent(out, policy, 'missingSpaceBeforeEmail', 'missing space before email');
  p = identTextEnd(data, p + 1);
  if (at(data, p) !== GT) return badIdent(out, policy, 'badEmail', 'bad email');
  p++;
  if (at(data, p) !== SPACE)
    return badIdent(out, policy, 'missingSpaceBeforeDate', 'missing space before date');
  p++;
  if (at(data, p) === DIGIT_0 && at(data, p + 1) !== SPACE)
    return badIdent(out, policy, 'zeroPaddedDate', 'zero-padded date');
  const end = timestampEnd(data, p);
  if (end < 0) return badIdent(out, policy, 'badDateOverflow', 'date causes integer overflow');
  if (end === p || at(data, end) !== SPACE) return badIdent(out, policy, 'badDate', 'bad date');
  p = end + 1;
  const sign = at(data, p);
  if (
    (sign !== PLUS && sign !== MINUS) ||
    !isDigit(at(data, p + 1)) ||
    !isDigit(at(data, p + 2)) ||
    !isDigit(at(data, p + 3)) ||
    !isDigit(at(data, p + 4)) ||
    at(data, p + 5) !== LF
  ) {
    return badIdent(out, policy, 'badTimezone', 'bad time zone');
  }
  return false;
}

/** Digits of a number that is below 2^63 whatever they are (a double holds it exactly). */
const SAFE_DIGITS = 15;

/**
 * strtoumax(p, &end, 10) and date_overflows on its result: the offset after the number, `start`
 * when there is none, or -1 when it does not fit a signed 64-bit time.
 */
function timestampEnd(data: Buffer, start: number): number {
  let p = start;
  while (isCSpace(at(data, p))) p++;
  let negative = false;
  const sign = at(data, p);
  if (sign === PLUS || sign === MINUS) {
    negative = sign === MINUS;
    p++;
  }
  const digits = p;
  let zero = true;
  while (isDigit(at(data, p))) {
    if (data[p] !== DIGIT_0) zero = false;
    p++;
  }
  if (p === digits) return start;
  // A negative number wraps to a huge unsigned one; any value above 2^63-1 is not a valid time.
  if (negative && !zero) return -1;
  if (p - digits > SAFE_DIGITS && BigInt(data.toString('latin1', digits, p)) > MAX_TIMESTAMP) return -1;
  return p;
}

/** fsck.c fsck_commit: header order tree, parent*, one author, committer, with valid ids and idents. */
export function fsckCommitInto(
  data: Buffer,
  format: ObjectFormat,
  policy: FsckPolicy,
  out: FsckFinding[],
): void {
  if (verifyHeaders(data, policy, out)) return;
  if (!startsWith(data, 0, 'tree ')) {
    report(out, policy, 'missingTree', "invalid format - expected 'tree' line");
    return;
  }
  let pos = oidLine(data, 5, format);
  if (pos < 0) {
    if (report(out, policy, 'badTreeSha1', "invalid 'tree' line format - bad sha1")) return;
    pos = nextLine(data, 5);
  }
  while (startsWith(data, pos, 'parent ')) {
    const after = oidLine(data, pos + 7, format);
    if (after < 0) {
      if (report(out, policy, 'badParentSha1', "invalid 'parent' line format - bad sha1")) return;
      pos = nextLine(data, pos + 7);
    } else {
      pos = after;
    }
  }
  let authors = 0;
  while (startsWith(data, pos, 'author ')) {
    authors++;
    const identStart = pos + 7;
    pos = nextLine(data, identStart);
    if (checkIdent(data, identStart, policy, out)) return;
  }
  if (authors < 1 && report(out, policy, 'missingAuthor', "invalid format - expected 'author' line")) return;
  if (authors > 1 && report(out, policy, 'multipleAuthors', "invalid format - multiple 'author' lines"))
    return;
  if (!startsWith(data, pos, 'committer ')) {
    report(out, policy, 'missingCommitter', "invalid format - expected 'committer' line");
    return;
  }
  if (checkIdent(data, pos + 10, policy, out)) return;
  if (data.includes(0)) report(out, policy, 'nulInCommit', 'NUL byte in the commit object body');
}

const OBJECT_TYPES = new Set(['blob', 'tree', 'commit', 'tag']);

/** fsck.c fsck_tag_standalone: object, type, tag, then (usually) tagger, then the message. */
export function fsckTagInto(
  data: Buffer,
  format: ObjectFormat,
  policy: FsckPolicy,
  out: FsckFinding[],
): void {
  if (verifyHeaders(data, policy, out)) return;
  if (!startsWith(data, 0, 'object ')) {
    report(out, policy, 'missingObject', "invalid format - expected 'object' line");
    return;
  }
  let pos = oidLine(data, 7, format);
  if (pos < 0) {
    if (report(out, policy, 'badObjectSha1', "invalid 'object' line format - bad sha1")) return;
    pos = nextLine(data, 7);
  }
  if (!startsWith(data, pos, 'type ')) {
    report(out, policy, 'missingTypeEntry', "invalid format - expected 'type' line");
    return;
  }
  pos += 5;
  let eol = cLineEnd(data, pos);
  if (eol < 0) {
    report(out, policy, 'missingType', "invalid format - unexpected end after 'type' line");
    return;
  }
  if (
    !OBJECT_TYPES.has(data.toString('latin1', pos, eol)) &&
    report(out, policy, 'badType', "invalid 'type' value")
  ) {
    return;
  }
  pos = eol + 1;
  if (!startsWith(data, pos, 'tag ')) {
    report(out, policy, 'missingTagEntry', "invalid format - expected 'tag' line");
    return;
  }
  pos += 4;
  eol = cLineEnd(data, pos);
  if (eol < 0) {
    report(out, policy, 'missingTag', "invalid format - unexpected end after 'type' line");
    return;
  }
  const name = data.toString('latin1', pos, eol);
  if (
    !isValidRefName(`refs/tags/${name}`) &&
    report(out, policy, 'badTagName', `invalid 'tag' name: ${name}`)
  ) {
    return;
  }
  pos = eol + 1;
  if (!startsWith(data, pos, 'tagger ')) {
    if (report(out, policy, 'missingTaggerEntry', "invalid format - expected 'tagger' line")) return;
  } else {
    const identStart = pos + 7;
    pos = nextLine(data, identStart);
    if (checkIdent(data, identStart, policy, out)) return;
  }
  if (at(data, pos) !== 0 && at(data, pos) !== LF) {
    report(out, policy, 'extraHeaderEntry', "invalid format - extra header(s) after 'tagger'");
  }
}

/** strchr(s, '\n') on a C string: the newline's offset, or -1 at a NUL or the end. */
function cLineEnd(data: Buffer, pos: number): number {
  for (let i = pos; i < data.length; i++) {
    const c = data[i];
    if (c === LF) return i;
    if (c === 0) return -1;
  }
  return -1;
}
