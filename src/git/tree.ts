import { invalid } from '../platform/errors.js';
import { SHA1, type ObjectFormat } from './object-format.js';
import { objectIdFromRaw, objectIdToRaw, type ObjectId } from './object-id.js';

/** Modes git writes in trees (gitformat-index "mode"); legacy 100664 and padded modes still parse. */
export const FileMode = {
  tree: '40000',
  blob: '100644',
  executable: '100755',
  symlink: '120000',
  gitlink: '160000',
} as const;

export interface TreeEntry {
  /** Octal mode as written in the object (kept verbatim, so `100664` and `040000` round-trip). */
  readonly mode: string;
  /** The name decoded as UTF-8. */
  readonly name: string;
  /** Set only when the name bytes are not valid UTF-8; serialising prefers it. */
  readonly rawName?: Buffer;
  readonly id: ObjectId;
}

/** What an entry points at: a subtree, a file blob, a symlink blob or a submodule commit. */
export type EntryKind = 'tree' | 'blob' | 'symlink' | 'gitlink';

export function entryKind(mode: string): EntryKind {
  const value = parseInt(mode, 8);
  const type = value & 0o170000;
  if (type === 0o040000) return 'tree';
  if (type === 0o120000) return 'symlink';
  if (type === 0o160000) return 'gitlink';
  return 'blob';
}

const SPACE = 0x20;

export function parseTree(data: Buffer, format: ObjectFormat = SHA1): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(SPACE, pos);
    const nul = space < 0 ? -1 : data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + format.rawLength > data.length) {
      throw invalid('object_bad_tree', 'tree entry is truncated', { offset: pos });
    }
    const mode = data.toString('latin1', pos, space);
    if (!/^[0-7]+$/.test(mode))
      throw invalid('object_bad_tree', 'tree entry mode is not octal', { offset: pos });
    const nameBytes = data.subarray(space + 1, nul);
    const name = nameBytes.toString('utf8');
    const exact = !name.includes('\uFFFD') || Buffer.from(name).equals(nameBytes);
    entries.push({
      mode,
      name,
      ...(exact ? {} : { rawName: Buffer.from(nameBytes) }),
      id: objectIdFromRaw(data, nul + 1, format),
    });
    pos = nul + 1 + format.rawLength;
  }
  return entries;
}

function nameBytesOf(entry: TreeEntry): Buffer {
  return entry.rawName ?? Buffer.from(entry.name);
}

/** Serialises entries in the order given (use `sortTreeEntries` first for a canonical tree). */
export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(
      Buffer.from(`${entry.mode} `, 'latin1'),
      nameBytesOf(entry),
      Buffer.from([0]),
      objectIdToRaw(entry.id),
    );
  }
  return Buffer.concat(parts);
}

/**
 * Git's tree order (tree.c base_name_compare): byte order of names, where a directory's name
 * compares as if it ended in '/'.
 */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const an = nameBytesOf(a);
  const bn = nameBytesOf(b);
  const common = Math.min(an.length, bn.length);
  const diff = an.subarray(0, common).compare(bn.subarray(0, common));
  if (diff !== 0) return diff;
  const ac = an.length > common ? an[common]! : entryKind(a.mode) === 'tree' ? 0x2f : 0;
  const bc = bn.length > common ? bn[common]! : entryKind(b.mode) === 'tree' ? 0x2f : 0;
  return ac - bc;
}

export function sortTreeEntries(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort(compareTreeEntries);
}
