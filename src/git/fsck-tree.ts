import { report, type FsckFinding, type FsckPolicy } from './fsck-report.js';
import {
  isDotgit,
  isDotgitattributes,
  isDotgitignore,
  isDotgitmodules,
  isDotmailmap,
  isNtfsDotgitAt,
  isNtfsDotgitmodules,
  mayBeSpecialName,
} from './fsck-names.js';
import type { ObjectFormat } from './object-format.js';

const SPACE = 0x20;
const DOT = 0x2e;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** Modes git itself writes (fsck.c fsck_tree); 100664 is accepted only without --strict. */
const STANDARD_MODES = new Set([0o100755, 0o100644, 0o120000, 0o040000, 0o160000]);
const LEGACY_GROUP_WRITABLE = 0o100664;

/** What a tree entry points at, for the link checks (fsck_walk_tree); gitlinks are not followed. */
export type LinkType = 'tree' | 'blob';

/** Receives what a checked tree points to: children with the type their mode requires, and dotfiles. */
export interface TreeLinks {
  /** `id` is the raw id inside `data` at `offset`; the caller makes hex only when it keeps it. */
  child(data: Buffer, offset: number, type: LinkType): void;
  /** An entry named like `.gitmodules` (not a symlink): its blob is checked as a .gitmodules file. */
  gitmodules?(data: Buffer, offset: number): void;
  gitattributes?(data: Buffer, offset: number): void;
}

/** Flags of one tree, reported once each after the scan, in git's order. */
interface TreeFlags {
  nullSha1: boolean;
  fullPath: boolean;
  emptyName: boolean;
  dot: boolean;
  dotdot: boolean;
  dotgit: boolean;
  zeroPad: boolean;
  badModes: boolean;
  duplicates: boolean;
  unsorted: boolean;
}

/**
 * git fsck.c fsck_tree over the raw bytes, in one pass and without allocating per entry: entry
 * syntax (tree-walk.c decode_tree_entry), names, modes, order and duplicates (including a file
 * and a directory of the same name, which do not sort next to each other), dotfile symlinks, and
 * the `.gitmodules`/`.gitattributes` blobs to check later. `links` (optional) gets every child
 * with the type its mode requires (git's fsck_walk), so the caller can check types and
 * connectivity.
 */
export function fsckTreeInto(
  data: Buffer,
  format: ObjectFormat,
  policy: FsckPolicy,
  out: FsckFinding[],
  links?: TreeLinks,
): void {
  const rawLength = format.rawLength;
  const flags: TreeFlags = {
    nullSha1: false,
    fullPath: false,
    emptyName: false,
    dot: false,
    dotdot: false,
    dotgit: false,
    zeroPad: false,
    badModes: false,
    duplicates: false,
    unsorted: false,
  };
  // Names of earlier non-directory entries a later directory could duplicate (fsck.c verify_ordered).
  const candidates: number[] = [];
  let previousStart = -1;
  let previousEnd = -1;
  let previousMode = 0;
  let pos = 0;
  if (data.length === 0) return;
  const entry: ParsedEntry = { mode: 0, nameStart: 0, nameEnd: 0, slash: false, backslash: -1 };
  let parsed = entryAt(data, pos, rawLength, entry);
  if (!parsed) {
    report(out, policy, 'badTree', 'cannot be parsed as a tree');
    return;
  }
  while (parsed) {
    const { mode, nameStart, nameEnd } = entry;
    const idOffset = nameEnd + 1;
    const next = idOffset + rawLength;
    const shortMode = mode & 0xffff;
    if (isNull(data, idOffset, rawLength)) flags.nullSha1 = true;
    checkName(data, entry, shortMode, idOffset, flags, policy, out, links);
    if (data[pos] === DIGIT_0) flags.zeroPad = true;
    if (links) {
      const type = mode & S_IFMT;
      if (type === S_IFDIR) links.child(data, idOffset, 'tree');
      else if (type === S_IFREG || type === S_IFLNK) links.child(data, idOffset, 'blob');
    }
    pos = next;
    parsed = pos < data.length && entryAt(data, pos, rawLength, entry);
    if (!parsed && pos < data.length) {
      report(out, policy, 'badTree', 'cannot be parsed as a tree');
      break;
    }
    if (!STANDARD_MODES.has(shortMode) && !(shortMode === LEGACY_GROUP_WRITABLE && !policy.strict)) {
      flags.badModes = true;
    }
    if (previousStart >= 0) {
      const order = verifyOrdered(
        data,
        previousMode,
        previousStart,
        previousEnd,
        shortMode,
        nameStart,
        nameEnd,
        candidates,
      );
      if (order === 'unordered') flags.unsorted = true;
      else if (order === 'duplicate') flags.duplicates = true;
    }
    previousStart = nameStart;
    previousEnd = nameEnd;
    previousMode = shortMode;
  }
  reportFlags(flags, policy, out);
}

function reportFlags(flags: TreeFlags, policy: FsckPolicy, out: FsckFinding[]): void {
  if (flags.nullSha1) report(out, policy, 'nullSha1', 'contains entries pointing to null sha1');
  if (flags.fullPath) report(out, policy, 'fullPathname', 'contains full pathnames');
  if (flags.emptyName) report(out, policy, 'emptyName', 'contains empty pathname');
  if (flags.dot) report(out, policy, 'hasDot', "contains '.'");
  if (flags.dotdot) report(out, policy, 'hasDotdot', "contains '..'");
  if (flags.dotgit) report(out, policy, 'hasDotgit', "contains '.git'");
  if (flags.zeroPad) report(out, policy, 'zeroPaddedFilemode', 'contains zero-padded file modes');
  if (flags.badModes) report(out, policy, 'badFilemode', 'contains bad file modes');
  if (flags.duplicates) report(out, policy, 'duplicateEntries', 'contains duplicate file entries');
  if (flags.unsorted) report(out, policy, 'treeNotSorted', 'not properly sorted');
}

function checkName(
  data: Buffer,
  entry: ParsedEntry,
  mode: number,
  idOffset: number,
  flags: TreeFlags,
  policy: FsckPolicy,
  out: FsckFinding[],
  links: TreeLinks | undefined,
): void {
  const start = entry.nameStart;
  const end = entry.nameEnd;
  const length = end - start;
  const first = data[start] as number;
  if (length === 1 && first === DOT) flags.dot = true;
  else if (length === 2 && first === DOT && data[start + 1] === DOT) flags.dotdot = true;
  if (entry.slash) flags.fullPath = true;
  const symlink = (mode & S_IFMT) === S_IFLNK;
  if (mayBeSpecialName(data, start, end)) {
    if (isDotgit(data, start, end)) flags.dotgit = true;
    if (isDotgitmodules(data, start, end)) noteGitmodules(data, idOffset, symlink, policy, out, links);
    if (isDotgitattributes(data, start, end)) {
      if (!symlink) links?.gitattributes?.(data, idOffset);
      else report(out, policy, 'gitattributesSymlink', '.gitattributes is a symlink');
    }
    if (symlink && isDotgitignore(data, start, end))
      report(out, policy, 'gitignoreSymlink', '.gitignore is a symlink');
    if (symlink && isDotmailmap(data, start, end))
      report(out, policy, 'mailmapSymlink', '.mailmap is a symlink');
  }
  // NTFS takes a backslash as a separator: every part after one must not be .git either.
  let backslash = entry.backslash;
  while (backslash >= 0 && backslash < end) {
    const part = backslash + 1;
    if (isNtfsDotgitAt(data, part, end)) flags.dotgit = true;
    if (isNtfsDotgitmodules(data, part, end)) noteGitmodules(data, idOffset, symlink, policy, out, links);
    backslash = data.indexOf(BACKSLASH, part);
  }
}

function noteGitmodules(
  data: Buffer,
  idOffset: number,
  symlink: boolean,
  policy: FsckPolicy,
  out: FsckFinding[],
  links: TreeLinks | undefined,
): void {
  if (!symlink) links?.gitmodules?.(data, idOffset);
  else report(out, policy, 'gitmodulesSymlink', '.gitmodules is a symbolic link');
}

/** One entry's fields, filled in place (one object per tree, not per entry). */
interface ParsedEntry {
  /** The octal mode as git reads it (32-bit, wrapping). */
  mode: number;
  nameStart: number;
  /** Offset of the NUL after the name. */
  nameEnd: number;
  /** Whether the name holds a '/'. */
  slash: boolean;
  /** Offset of the name's first '\\', or -1. */
  backslash: number;
}

/**
 * tree-walk.c decode_tree_entry: the remaining bytes must end in `NUL <raw id>`, the mode is
 * octal digits up to a space (not empty), the name is not empty. False = "cannot be parsed".
 */
function entryAt(data: Buffer, pos: number, rawLength: number, entry: ParsedEntry): boolean {
  const size = data.length - pos;
  if (size < rawLength + 3 || data[data.length - (rawLength + 1)] !== 0) return false;
  if (data[pos] === SPACE) return false;
  let mode = 0;
  let cursor = pos;
  for (;;) {
    const byte = data[cursor++] as number;
    if (byte === SPACE) break;
    if (byte < DIGIT_0 || byte > DIGIT_7) return false;
    mode = ((mode << 3) + (byte - DIGIT_0)) >>> 0;
  }
  if (data[cursor] === 0) return false;
  entry.mode = mode;
  entry.nameStart = cursor;
  // One byte loop for the NUL and the separators checkName looks for: names are short, and each
  // Buffer#indexOf is a call into C++ (three per entry cost more than the bytes).
  let slash = false;
  let backslash = -1;
  let byte = data[cursor] as number;
  while (byte !== 0) {
    if (byte === SLASH) slash = true;
    else if (byte === BACKSLASH && backslash < 0) backslash = cursor;
    byte = data[++cursor] as number;
  }
  entry.nameEnd = cursor;
  entry.slash = slash;
  entry.backslash = backslash;
  return true;
}

function isNull(data: Buffer, offset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (data[offset + i] !== 0) return false;
  return true;
}

function isLessThanSlash(c: number): boolean {
  return c > 0 && c < SLASH;
}

/**
 * fsck.c verify_ordered: byte order of names where a directory sorts as if followed by '/';
 * equal names are duplicates, and so is a directory whose name an earlier file (kept on the
 * `candidates` stack as its start offset) already used, even when other names came between.
 */
function verifyOrdered(
  data: Buffer,
  mode1: number,
  start1: number,
  end1: number,
  mode2: number,
  start2: number,
  end2: number,
  candidates: number[],
): 'ok' | 'unordered' | 'duplicate' {
  const len1 = end1 - start1;
  const len2 = end2 - start2;
  const common = Math.min(len1, len2);
  // A byte loop: names are short, and Buffer#compare's range checks cost more than the bytes.
  for (let i = 0; i < common; i++) {
    const a = data[start1 + i] as number;
    const b = data[start2 + i] as number;
    if (a !== b) return a < b ? 'ok' : 'unordered';
  }
  let c1 = len1 > common ? (data[start1 + common] as number) : 0;
  let c2 = len2 > common ? (data[start2 + common] as number) : 0;
  if (c1 === 0 && c2 === 0) return 'duplicate';
  if (c1 === 0 && (mode1 & S_IFMT) === S_IFDIR) c1 = SLASH;
  if (c2 === 0 && (mode2 & S_IFMT) === S_IFDIR) c2 = SLASH;
  if (c1 === 0 && isLessThanSlash(c2)) {
    candidates.push(start1);
  } else if (c2 === SLASH && isLessThanSlash(c1)) {
    for (;;) {
      const candidate = candidates.pop();
      if (candidate === undefined) break;
      const candidateEnd = data.indexOf(0, candidate);
      const candidateLength = candidateEnd - candidate;
      if (
        candidateLength > len2 ||
        data.compare(data, candidate, candidateEnd, start2, start2 + candidateLength) !== 0
      ) {
        continue;
      }
      if (candidateLength === len2) return 'duplicate';
      if (isLessThanSlash(data[start2 + candidateLength] as number)) {
        candidates.push(candidate);
        break;
      }
    }
  }
  return c1 < c2 ? 'ok' : 'unordered';
}
