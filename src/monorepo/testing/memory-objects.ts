import type { ObjectId } from '../../git/object-id.js';
import { FileMode } from '../../git/tree.js';
import { completeObjectSource } from '../../repo/single-read-objects.js';
import { PendingObjects } from '../pending-objects.js';
import { replaceAtPath } from '../tree-edit.js';
import { ObjectReader } from '../../repo/browse/object-reader.js';
import { buildViewCommit } from '../synthetic-commit.js';

const EMPTY = completeObjectSource({
  hasObjects: async () => new Set(),
  readObject: async () => undefined,
  readCommit: async () => undefined,
});

/** An in-memory object store for unit tests: objects live in a `PendingObjects` over nothing. */
export function memoryObjects(): { objects: PendingObjects; reader: ObjectReader } {
  const objects = new PendingObjects(EMPTY);
  return { objects, reader: new ObjectReader(objects) };
}

/** Writes `files` (path → text) as a tree. */
export async function treeOf(
  objects: PendingObjects,
  files: Readonly<Record<string, string>>,
): Promise<ObjectId> {
  const reader = new ObjectReader(objects);
  let tree: ObjectId | undefined;
  for (const [path, text] of Object.entries(files)) {
    const blob = objects.put('blob', Buffer.from(text));
    tree = await replaceAtPath(reader, objects, tree, path.split('/'), { mode: FileMode.blob, id: blob });
  }
  return tree ?? objects.put('tree', Buffer.alloc(0));
}

/** A commit of `files` on `parents`. */
export async function commitOf(
  objects: PendingObjects,
  files: Readonly<Record<string, string>>,
  parents: readonly ObjectId[] = [],
): Promise<ObjectId> {
  const ident = 'T <t@example.com> 1700000000 +0000';
  return objects.put(
    'commit',
    buildViewCommit({
      tree: await treeOf(objects, files),
      parents,
      author: ident,
      committer: ident,
      message: 'm\n',
    }),
  );
}

/** Flattens a tree to path → text. */
export async function filesOf(
  reader: ObjectReader,
  tree: ObjectId,
  prefix = '',
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await reader.tree(tree)) {
    if (entry.mode === FileMode.tree)
      Object.assign(out, await filesOf(reader, entry.id, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = (await reader.readTyped(entry.id, 'blob')).toString();
  }
  return out;
}
