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
import {
  MODE_SYMLINK,
  MODE_TREE,
  MODE_TYPE_MASK,
  newTreeEntry,
  readTreeEntry,
  type TreeEntry,
} from './tree-entry-scanner.js';

const DOT = 0x2e;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const S_IFMT = MODE_TYPE_MASK;
const S_IFDIR = MODE_TREE;
const S_IFLNK = MODE_SYMLINK;
/** Modes git itself writes (fsck.c fsck_tree); 100664 is accepted only without --strict. */
const STANDARD_MODES = new Set([0o100755, 0o100644, 0o120000, 0o040000, 0o160000]);
const LEGACY_GROUP_WRITABLE = 0o100664;

/** Receives what a checked tree points to: every entry's raw id and mode, and dotfiles. */
export interface TreeLinks {
  /**
   * One entry, in order: its raw id is inside `data` at `offset` (the caller makes hex only when
   * it keeps it); `mode` tells the type a link requires (fsck_walk_tree: a directory a tree, a
   * file or symlink a blob, a gitlink nothing) and what a walk does with it. Called for every
   * entry of a tree that parses, so one scan serves fsck's links and the object graph's edges.
   */
  child(data: Buffer, offset: number, mode: number): void;
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

function clearFlags(flags: TreeFlags): TreeFlags {
  flags.nullSha1 = false;
  flags.fullPath = false;
  flags.emptyName = false;
  flags.dot = false;
  flags.dotdot = false;
  flags.dotgit = false;
  flags.zeroPad = false;
  flags.badModes = false;
  flags.duplicates = false;
  flags.unsorted = false;
  return flags;
}

/**
 * The state of one tree's check, reused by every call: a push checks hundreds of thousands of
 * trees, one at a time (nothing here outlives a call, and no callback checks another tree).
 */
const scratch = {
  flags: clearFlags({} as TreeFlags),
  candidates: [] as number[],
  entry: newTreeEntry(),
};

/**
 * git fsck.c fsck_tree over the raw bytes, in one pass and without allocating per entry: entry
 * syntax (tree-walk.c decode_tree_entry), names, modes, order and duplicates (including a file
 * and a directory of the same name, which do not sort next to each other), dotfile symlinks, and
 * the `.gitmodules`/`.gitattributes` blobs to check later. `links` (optional) gets every child
 * with the type its mode requires (git's fsck_walk), so the caller can check types and
 * connectivity. Returns false when the tree cannot be parsed to its end (`badTree`, whether or not
 * the policy reports it): `links` then had only the entries before the bad one.
 */
export function fsckTreeInto(
  data: Buffer,
  format: ObjectFormat,
  policy: FsckPolicy,
  out: FsckFinding[],
  links?: TreeLinks,
): boolean {
  const rawLength = format.rawLength;
  const flags = clearFlags(scratch.flags);
  // Names of earlier non-directory entries a later directory could duplicate (fsck.c verify_ordered).
  const candidates = scratch.candidates;
  candidates.length = 0;
  let previousStart = -1;
  let previousEnd = -1;
  let previousMode = 0;
  let pos = 0;
  if (data.length === 0) return true;
  const entry = scratch.entry;
  let parsed = readTreeEntry(data, pos, rawLength, entry);
  if (!parsed) {
    report(out, policy, 'badTree', 'cannot be parsed as a tree');
    return false;
  }
  let whole = true;
  while (parsed) {
    const { mode, nameStart, nameEnd, next } = entry;
    const idOffset = nameEnd + 1;
    const shortMode = mode & 0xffff;
    if (isNull(data, idOffset, rawLength)) flags.nullSha1 = true;
    checkName(data, entry, shortMode, idOffset, flags, policy, out, links);
    if (data[pos] === DIGIT_0) flags.zeroPad = true;
    links?.child(data, idOffset, mode);
    pos = next;
    parsed = pos < data.length && readTreeEntry(data, pos, rawLength, entry);
    if (!parsed && pos < data.length) {
      report(out, policy, 'badTree', 'cannot be parsed as a tree');
      whole = false;
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
  return whole;
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
  entry: TreeEntry,
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
