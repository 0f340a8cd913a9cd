import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind, serializeTree, sortTreeEntries, type TreeEntry } from '../git/tree.js';
import type { FileChange } from '../repo/browse/tree-diff.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import type { PendingObjects } from './pending-objects.js';

/**
 * Tree surgery for views and merges: replace what sits at a path, or apply a list of file
 * changes to a tree. New trees go to `PendingObjects`; untouched subtrees keep their ids, so the
 * work is proportional to the paths changed, not to the size of the tree.
 */
export type EntryValue = Pick<TreeEntry, 'mode' | 'id'>;

/** Writes `entries` as a tree (sorted in git order); undefined for an empty tree. */
export function writeTree(objects: PendingObjects, entries: readonly TreeEntry[]): ObjectId | undefined {
  if (entries.length === 0) return undefined;
  return objects.put('tree', serializeTree(sortTreeEntries(entries)));
}

/** The tree with `value` placed at `segments` (undefined removes); missing directories are created. */
export async function replaceAtPath(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId | undefined,
  segments: readonly string[],
  value: EntryValue | undefined,
): Promise<ObjectId | undefined> {
  const [name, ...rest] = segments;
  if (name === undefined) {
    return value && entryKind(value.mode) === 'tree' ? value.id : undefined;
  }
  const entries = tree ? [...(await reader.tree(tree))] : [];
  const index = entries.findIndex((entry) => entry.name === name);
  const current = index >= 0 ? entries[index] : undefined;
  let next: EntryValue | undefined;
  if (rest.length === 0) {
    next = value;
  } else {
    const subtree = current && entryKind(current.mode) === 'tree' ? current.id : undefined;
    const id = await replaceAtPath(reader, objects, subtree, rest, value);
    next = id ? { mode: FileMode.tree, id } : undefined;
  }
  if (index >= 0) entries.splice(index, 1);
  if (next) entries.push({ name, mode: next.mode, id: next.id });
  return writeTree(objects, entries);
}

/** The subtree or entry at `segments`, or undefined. */
export async function entryAtPath(
  reader: ObjectReader,
  tree: ObjectId,
  segments: readonly string[],
): Promise<EntryValue | undefined> {
  let current: EntryValue = { mode: FileMode.tree, id: tree };
  for (const name of segments) {
    if (entryKind(current.mode) !== 'tree') return undefined;
    const found = (await reader.tree(current.id)).find((entry) => entry.name === name);
    if (!found) return undefined;
    current = found;
  }
  return current;
}

/**
 * Applies file-level changes (as `diffTrees` reports them) onto `tree`. Each change sets or
 * removes one non-tree path; directories appear and disappear as needed.
 */
export async function applyChanges(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId | undefined,
  changes: readonly FileChange[],
): Promise<ObjectId | undefined> {
  const byName = new Map<string, FileChange[]>();
  const here = new Map<string, FileChange>();
  for (const change of changes) {
    const slash = change.path.indexOf('/');
    if (slash < 0) {
      // A delete and an add of one path (file ↔ directory) arrive as two changes; keep the add.
      if (!here.has(change.path) || change.newId) here.set(change.path, change);
      continue;
    }
    const name = change.path.slice(0, slash);
    const list = byName.get(name) ?? [];
    list.push({ ...change, path: change.path.slice(slash + 1) });
    byName.set(name, list);
  }
  const entries = new Map((tree ? await reader.tree(tree) : []).map((entry) => [entry.name, entry]));
  for (const [name, change] of here) {
    if (change.newId && change.newMode) entries.set(name, { name, mode: change.newMode, id: change.newId });
    else if (!byName.has(name)) entries.delete(name);
  }
  for (const [name, list] of byName) {
    // A directory replaced by a file: the file (set above) wins over the deletes beneath it.
    if (here.get(name)?.newId) continue;
    const current = entries.get(name);
    const subtree = current && entryKind(current.mode) === 'tree' ? current.id : undefined;
    const id = await applyChanges(reader, objects, subtree, list);
    if (id) entries.set(name, { name, mode: FileMode.tree, id });
    else entries.delete(name);
  }
  return writeTree(objects, [...entries.values()]);
}
