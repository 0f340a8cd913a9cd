import type { ObjectId } from '../git/object-id.js';
import { parseCommit } from '../git/commit.js';
import { parseTag } from '../git/tag.js';
import { entryKind, parseTree } from '../git/tree.js';
import type { ObjectSource } from './served-repository.js';

/** Ids checked per `hasObjects` call. */
const HAS_BATCH = 500;

/**
 * git's connectivity check for a push (`check_connected`): everything the new ref tips reach must
 * exist. Objects that were already in the repository are connected (this check keeps that true),
 * so only the objects of the pushed pack are opened; what they point to outside the pack must be
 * present. Returns the first missing id, or undefined when the closure is complete.
 */
export async function findMissingObject(
  objects: ObjectSource,
  tips: readonly ObjectId[],
  pushed: ReadonlySet<ObjectId>,
): Promise<ObjectId | undefined> {
  const outside = new Set<ObjectId>();
  const visited = new Set<ObjectId>();
  const stack: ObjectId[] = [];
  const reach = (id: ObjectId) => {
    if (pushed.has(id)) {
      if (!visited.has(id)) stack.push(id);
    } else {
      outside.add(id);
    }
  };
  for (const tip of tips) reach(tip);
  while (stack.length > 0) {
    const id = stack.pop() as ObjectId;
    if (visited.has(id)) continue;
    visited.add(id);
    const object = await objects.readObject(id);
    if (!object) return id;
    switch (object.type) {
      case 'commit': {
        const commit = parseCommit(object.content);
        reach(commit.tree as ObjectId);
        for (const parent of commit.parents) reach(parent as ObjectId);
        break;
      }
      case 'tree':
        for (const entry of parseTree(object.content)) {
          const kind = entryKind(entry.mode);
          if (kind === 'gitlink') continue;
          if (kind === 'tree') reach(entry.id);
          else if (pushed.has(entry.id)) visited.add(entry.id);
          else outside.add(entry.id);
        }
        break;
      case 'tag':
        reach(parseTag(object.content).object as ObjectId);
        break;
      case 'blob':
        break;
    }
  }
  const ids = [...outside];
  for (let start = 0; start < ids.length; start += HAS_BATCH) {
    const batch = ids.slice(start, start + HAS_BATCH);
    const present = await objects.hasObjects(batch);
    const missing = batch.find((id) => !present.has(id));
    if (missing) return missing;
  }
  return undefined;
}
