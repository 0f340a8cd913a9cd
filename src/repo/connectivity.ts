import type { ObjectId } from '../git/object-id.js';
import type { ObjectIdLookup } from '../git/object-id-set.js';
import { parseCommit } from '../git/commit.js';
import { parseTag } from '../git/tag.js';
import { entryKind, parseTree } from '../git/tree.js';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectSource } from './served-repository.js';

/** Ids checked per `hasObjects` call. */
const HAS_BATCH = 500;

/**
 * git's connectivity check for a push (`check_connected`): everything the new ref tips reach must
 * exist. Objects that were already in the repository are connected (this check keeps that true),
 * so only the objects of the pushed pack are opened, in batches: all pushed commits at once
 * (parsed-commit rows), then their trees level by level; what they point to outside the pack must
 * be present. Returns the first missing id, or undefined when the closure is complete.
 */
export async function findMissingObject(
  objects: ObjectSource,
  tips: readonly ObjectId[],
  pushed: ObjectIdLookup,
): Promise<ObjectId | undefined> {
  const outside = new Set<ObjectId>();
  const visited = new Set<ObjectId>();
  let level: ObjectId[] = [];
  const reach = (id: ObjectId) => {
    if (!pushed.has(id)) outside.add(id);
    else if (!visited.has(id)) {
      visited.add(id);
      level.push(id);
    }
  };
  const commits = await pushedCommits(objects, pushed);
  for (const commit of commits.values()) {
    visited.add(commit.id);
    reach(commit.tree);
    for (const parent of commit.parents) if (!commits.has(parent)) reach(parent);
  }
  for (const tip of tips) if (!commits.has(tip)) reach(tip);
  // Trees (and tags) level by level, so each level is read in a few batched queries.
  while (level.length > 0) {
    const current = level;
    level = [];
    for (let start = 0; start < current.length; start += READ_BATCH) {
      const batch = current.slice(start, start + READ_BATCH);
      const found = new Set<ObjectId>();
      for await (const object of objects.readObjects(batch)) {
        found.add(object.id);
        for (const id of referencedIds(object.type, object.content, pushed, visited)) reach(id);
      }
      const absent = batch.find((id) => !found.has(id));
      if (absent) return absent;
    }
  }
  return firstAbsent(objects, [...outside]);
}

/** The commits among the pushed objects, with their trees and parents. */
async function pushedCommits(
  objects: ObjectSource,
  pushed: ObjectIdLookup,
): Promise<Map<ObjectId, CommitSummary>> {
  const result = new Map<ObjectId, CommitSummary>();
  const ids = [...pushed];
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    for (const [id, commit] of await objects.readCommits(ids.slice(start, start + READ_BATCH)))
      result.set(id, commit);
  }
  return result;
}

/** Objects read per batch. */
const READ_BATCH = 500;

/**
 * What an object points to. Blobs of the push are marked visited here without being read (a tree
 * entry says they are blobs); everything else is returned for the next level.
 */
function referencedIds(
  type: string,
  content: Buffer,
  pushed: ObjectIdLookup,
  visited: Set<ObjectId>,
): ObjectId[] {
  switch (type) {
    case 'commit': {
      const commit = parseCommit(content);
      return [commit.tree, ...commit.parents];
    }
    case 'tree': {
      const ids: ObjectId[] = [];
      for (const entry of parseTree(content)) {
        const kind = entryKind(entry.mode);
        if (kind === 'gitlink') continue;
        if (kind === 'tree' || !pushed.has(entry.id)) ids.push(entry.id);
        else visited.add(entry.id);
      }
      return ids;
    }
    case 'tag':
      return [parseTag(content).object];
    default:
      return [];
  }
}

/**
 * The connectivity check when the store reported the pack's external references: the tips must be
 * in the pack or present, and so must every external reference.
 */
export async function findMissingWithReferences(
  objects: ObjectSource,
  tips: readonly ObjectId[],
  pushed: ObjectIdLookup,
  externalReferences: readonly ObjectId[],
): Promise<ObjectId | undefined> {
  return firstAbsent(objects, [
    ...new Set([...tips.filter((tip) => !pushed.has(tip)), ...externalReferences]),
  ]);
}

/** The first of `ids` the repository does not hold, looked up in batches. */
async function firstAbsent(objects: ObjectSource, ids: readonly ObjectId[]): Promise<ObjectId | undefined> {
  for (let start = 0; start < ids.length; start += HAS_BATCH) {
    const batch = ids.slice(start, start + HAS_BATCH);
    const present = await objects.hasObjects(batch);
    const missing = batch.find((id) => !present.has(id));
    if (missing) return missing;
  }
  return undefined;
}
