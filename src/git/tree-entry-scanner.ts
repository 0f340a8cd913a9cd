const SPACE = 0x20;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;

/** The file-type bits of a tree entry's mode (S_IFMT) and the kinds a pack's walk tells apart. */
export const MODE_TYPE_MASK = 0o170000;
export const MODE_TREE = 0o040000;
export const MODE_FILE = 0o100000;
export const MODE_SYMLINK = 0o120000;
export const MODE_GITLINK = 0o160000;

/**
 * One tree entry's positions in the tree's bytes, filled in place by `readTreeEntry` (one object
 * per scan, not per entry): no string and no id is made, callers read the name and the raw id
 * where they lie.
 */
export interface TreeEntry {
  /** The octal mode as git reads it (32-bit, wrapping: an over-long mode is fsck's to report). */
  mode: number;
  nameStart: number;
  /** Offset of the NUL after the name; the raw id starts right after it. */
  nameEnd: number;
  /** Offset of the next entry (the end of the tree after the last one). */
  next: number;
  /** Whether the name holds a '/'. */
  slash: boolean;
  /** Offset of the name's first '\\', or -1. */
  backslash: number;
}

export function newTreeEntry(): TreeEntry {
  return { mode: 0, nameStart: 0, nameEnd: 0, next: 0, slash: false, backslash: -1 };
}

/**
 * Reads the entry at `pos` of a tree's bytes into `entry`, as tree-walk.c decode_tree_entry
 * accepts it (gitformat-tree: `<octal mode> SP <name> NUL <raw id>`): the remaining bytes must
 * end in `NUL <raw id>`, the mode is octal digits up to a space (not empty), the name is not
 * empty. False when the entry cannot be parsed (git's "cannot be parsed as a tree").
 *
 * One byte loop finds the mode, the NUL and the separators fsck's name checks look for: names
 * are short, and each `Buffer#indexOf` is a call into C++. The tree's byte `rawLength + 1` from
 * its end must be a NUL, so neither loop can run past the end, whatever the bytes.
 */
export function readTreeEntry(data: Uint8Array, pos: number, rawLength: number, entry: TreeEntry): boolean {
  const end = data.length;
  if (end - pos < rawLength + 3 || data[end - (rawLength + 1)] !== 0) return false;
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
  let slash = false;
  let backslash = -1;
  let byte = data[cursor] as number;
  while (byte !== 0) {
    if (byte === SLASH) slash = true;
    else if (byte === BACKSLASH && backslash < 0) backslash = cursor;
    byte = data[++cursor] as number;
  }
  entry.nameEnd = cursor;
  entry.next = cursor + 1 + rawLength;
  entry.slash = slash;
  entry.backslash = backslash;
  return true;
}
