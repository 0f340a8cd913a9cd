import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';

/**
 * Ids of the trees and blobs reachable from `newTree` but not from the same place in `oldTree`:
 * what a repository must gain (as held objects) when its branch may move from a commit with
 * `oldTree` to one with `newTree`. Unchanged subtrees are skipped by id, so the walk follows only
 * the changed paths.
 */
export async function objectsIntroduced(
  reader: ObjectReader,
  oldTree: ObjectId | undefined,
  newTree: ObjectId,
): Promise<ObjectId[]> {
  const out = new Set<ObjectId>();
  await walk(reader, oldTree, newTree, out);
  return [...out];
}

async function walk(
  reader: ObjectReader,
  oldTree: ObjectId | undefined,
  newTree: ObjectId,
  out: Set<ObjectId>,
): Promise<void> {
  if (oldTree === newTree || out.has(newTree)) return;
  out.add(newTree);
  const before = new Map((oldTree ? await reader.tree(oldTree) : []).map((entry) => [entry.name, entry]));
  for (const entry of await reader.tree(newTree)) {
    const old = before.get(entry.name);
    if (old?.id === entry.id) continue;
    const kind = entryKind(entry.mode);
    if (kind === 'tree') {
      await walk(reader, old && entryKind(old.mode) === 'tree' ? old.id : undefined, entry.id, out);
    } else if (kind !== 'gitlink') {
      out.add(entry.id);
    }
  }
}
