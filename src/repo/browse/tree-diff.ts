import type { ObjectId } from '../../git/object-id.js';
import { entryKind, type TreeEntry } from '../../git/tree.js';
import { diffLines, splitLines, type Hunk } from './line-diff.js';
import type { ObjectReader } from './object-reader.js';

/** Files listed in one diff at most; the rest is reported as truncated. */
export const MAX_DIFF_FILES = 1000;
/** Blobs bigger than this are listed as changed without a line diff. */
export const MAX_DIFF_BLOB_BYTES = 1024 * 1024;
/** Changed lines across one diff at most before later files are listed without hunks. */
export const MAX_DIFF_TOTAL_LINES = 20_000;
/** Bytes git looks at for a NUL to call a file binary (xdiff-interface.c buffer_is_binary). */
export const BINARY_SNIFF_BYTES = 8000;

export type ChangeStatus = 'added' | 'deleted' | 'modified' | 'type_changed';

/** One changed path between two trees (no rename detection: a rename is a delete and an add). */
export interface FileChange {
  readonly path: string;
  readonly status: ChangeStatus;
  readonly oldId?: ObjectId;
  readonly newId?: ObjectId;
  readonly oldMode?: string;
  readonly newMode?: string;
}

export interface FileDiff extends FileChange {
  readonly binary: boolean;
  readonly additions: number;
  readonly deletions: number;
  readonly hunks: readonly Hunk[];
  /** Why no hunks are shown although the file changed (`too_large`, `diff_budget_exhausted`). */
  readonly omitted?: string;
}

export interface TreeDiff {
  readonly files: readonly FileDiff[];
  readonly truncated: boolean;
}

export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Changed paths between two trees (either may be undefined = empty), in tree order. */
export async function diffTrees(
  reader: ObjectReader,
  oldTree: ObjectId | undefined,
  newTree: ObjectId | undefined,
  limit: number = MAX_DIFF_FILES + 1,
): Promise<FileChange[]> {
  const out: FileChange[] = [];
  await walk(reader, oldTree, newTree, '', out, limit);
  return out;
}

async function walk(
  reader: ObjectReader,
  oldTree: ObjectId | undefined,
  newTree: ObjectId | undefined,
  prefix: string,
  out: FileChange[],
  limit: number,
): Promise<void> {
  if (oldTree === newTree) return;
  const [oldEntries, newEntries] = await Promise.all([readTree(reader, oldTree), readTree(reader, newTree)]);
  const before = new Map(oldEntries.map((entry) => [entry.name, entry]));
  const after = new Map(newEntries.map((entry) => [entry.name, entry]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  await prefetchChangedSubtrees(reader, names, before, after);
  for (const name of names) {
    if (out.length >= limit) return;
    await compareEntry(reader, before.get(name), after.get(name), `${prefix}${name}`, out, limit);
  }
}

function readTree(reader: ObjectReader, tree: ObjectId | undefined): Promise<readonly TreeEntry[]> {
  return tree ? reader.tree(tree) : Promise.resolve([]);
}

/**
 * Reads the changed subdirectories of a level at once, into the reader's tree cache, before the
 * walk descends into them in order: a source that batches reads made in one turn (the database's)
 * answers a directory's subtrees with one query instead of one each.
 */
async function prefetchChangedSubtrees(
  reader: ObjectReader,
  names: readonly string[],
  before: ReadonlyMap<string, TreeEntry>,
  after: ReadonlyMap<string, TreeEntry>,
): Promise<void> {
  const subtrees: ObjectId[] = [];
  for (const name of names) {
    const old = before.get(name);
    const now = after.get(name);
    if (old && now && old.id === now.id && old.mode === now.mode) continue;
    for (const entry of [old, now]) if (entry && entryKind(entry.mode) === 'tree') subtrees.push(entry.id);
  }
  if (subtrees.length > 1) await Promise.all(subtrees.map((id) => reader.tree(id)));
}

async function compareEntry(
  reader: ObjectReader,
  old: TreeEntry | undefined,
  now: TreeEntry | undefined,
  path: string,
  out: FileChange[],
  limit: number,
): Promise<void> {
  if (old && now && old.id === now.id && old.mode === now.mode) return;
  const oldIsTree = old !== undefined && entryKind(old.mode) === 'tree';
  const newIsTree = now !== undefined && entryKind(now.mode) === 'tree';
  if (oldIsTree || newIsTree) {
    // A file replaced by a directory (or back) is a delete plus the subtree's adds.
    if (old && !oldIsTree) out.push(change(path, old, undefined));
    await walk(
      reader,
      oldIsTree ? old.id : undefined,
      newIsTree ? now.id : undefined,
      `${path}/`,
      out,
      limit,
    );
    if (now && !newIsTree && out.length < limit) out.push(change(path, undefined, now));
    return;
  }
  out.push(change(path, old, now));
}

function change(path: string, old: TreeEntry | undefined, now: TreeEntry | undefined): FileChange {
  const status: FileChange['status'] = !old
    ? 'added'
    : !now
      ? 'deleted'
      : entryKind(old.mode) !== entryKind(now.mode)
        ? 'type_changed'
        : 'modified';
  return {
    path,
    status,
    ...(old ? { oldId: old.id, oldMode: old.mode } : {}),
    ...(now ? { newId: now.id, newMode: now.mode } : {}),
  };
}

/** Line diffs for each change, within the size and line budgets. */
export async function diffFiles(reader: ObjectReader, changes: readonly FileChange[]): Promise<TreeDiff> {
  const files: FileDiff[] = [];
  let budget = MAX_DIFF_TOTAL_LINES;
  for (const item of changes.slice(0, MAX_DIFF_FILES)) {
    const diff = await diffFile(reader, item, budget > 0);
    budget -= diff.additions + diff.deletions;
    files.push(diff);
  }
  return { files, truncated: changes.length > MAX_DIFF_FILES };
}

/**
 * A side of a file diff: at most MAX_DIFF_BLOB_BYTES (or the display limit) are read, so a huge
 * blob is never inflated whole; it is judged binary on its first bytes, or else too large.
 */
async function blobText(reader: ObjectReader, id: ObjectId | undefined, mode: string | undefined) {
  if (!id || !mode || entryKind(mode) === 'gitlink')
    return { content: Buffer.alloc(0), lines: [], tooLarge: false };
  const read = await reader.readBounded(
    id,
    'blob',
    Math.min(MAX_DIFF_BLOB_BYTES, reader.displayLimit ?? MAX_DIFF_BLOB_BYTES),
  );
  const lines = read.truncated ? [] : splitLines(read.content.toString('utf8'));
  return { content: read.content, lines, tooLarge: read.truncated };
}

async function diffFile(reader: ObjectReader, item: FileChange, withinBudget: boolean): Promise<FileDiff> {
  const old = await blobText(reader, item.oldId, item.oldMode);
  const now = await blobText(reader, item.newId, item.newMode);
  const empty = { additions: 0, deletions: 0, hunks: [] };
  if (isBinary(old.content) || isBinary(now.content)) return { ...item, binary: true, ...empty };
  if (old.tooLarge || now.tooLarge) {
    return { ...item, binary: false, ...empty, omitted: 'too_large' };
  }
  if (!withinBudget) return { ...item, binary: false, ...empty, omitted: 'diff_budget_exhausted' };
  const hunks = diffLines(old.lines, now.lines);
  let additions = 0;
  let deletions = 0;
  for (const hunk of hunks) {
    for (const line of hunk.lines) {
      if (line.kind === 'add') additions++;
      else if (line.kind === 'delete') deletions++;
    }
  }
  return { ...item, binary: false, additions, deletions, hunks };
}
