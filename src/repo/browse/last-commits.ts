import type { ObjectId } from '../../git/object-id.js';
import { entryKind, type EntryKind } from '../../git/tree.js';
import type { Commit } from '../../git/commit.js';
import { commitBrief, person, type CommitBrief } from './commit-log.js';
import type { ObjectReader } from './object-reader.js';
import { idAtPath } from './tree-path.js';

/** Commits examined at most to attribute a directory's entries; the rest are left unknown. */
export const MAX_LAST_COMMIT_WALK = 2_000;
/** Results kept in memory, keyed by (commit, path): a commit's history never changes. */
export const LAST_COMMIT_CACHE_SIZE = 500;

export interface TreeEntryInfo {
  readonly name: string;
  readonly kind: EntryKind;
  /** Blobs and symlinks only. */
  readonly size?: number;
  /** The newest commit that changed the entry; absent when the walk stopped first. */
  readonly lastCommit?: CommitBrief;
}

export interface TreeInfo {
  readonly commit: ObjectId;
  readonly path: string;
  readonly entries: readonly TreeEntryInfo[];
  /** False when the walk bound left some entries without a last commit. */
  readonly complete: boolean;
  readonly walked: number;
}

const cache = new Map<string, TreeInfo>();

/**
 * Each entry of the directory at `segments` with its size and the newest commit that changed it
 * (what `git log -1 -- <dir>/<entry>` shows). One walk serves every entry: commits in date order
 * from `start`, simplified on the directory like `git log -- <dir>` (a merge whose directory equals
 * one parent's follows only that parent); a commit takes every entry still unattributed whose id
 * differs from each parent's. It stops once all entries are attributed, or after `maxWalk`.
 */
export async function treeInfo(
  reader: ObjectReader,
  start: ObjectId,
  segments: readonly string[],
  maxWalk = MAX_LAST_COMMIT_WALK,
): Promise<TreeInfo> {
  const path = segments.join('/');
  const key = `${start}\0${path}\0${maxWalk}`;
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const entriesAt = async (commit: Commit): Promise<Map<string, ObjectId> | undefined> => {
    const id = await idAtPath(reader, commit.tree, segments);
    if (!id) return undefined;
    try {
      return new Map((await reader.tree(id)).map((entry) => [entry.name, entry.id]));
    } catch {
      return undefined; // the path is a file in this commit
    }
  };
  const head = await reader.commit(start);
  const dirId = await idAtPath(reader, head.tree, segments);
  const listing = dirId ? await reader.tree(dirId) : [];
  const pending = new Set(listing.map((entry) => entry.name));
  const found = new Map<string, ObjectId>();

  const queue = new Map<ObjectId, { commit: Commit; time: number }>();
  const seen = new Set<ObjectId>();
  const push = async (id: ObjectId) => {
    if (seen.has(id)) return;
    seen.add(id);
    const commit = await reader.commit(id);
    queue.set(id, { commit, time: person(commit.committer).timestamp });
  };
  await push(start);
  let walked = 0;
  while (pending.size > 0 && queue.size > 0 && walked < maxWalk) {
    let nextId: ObjectId | undefined;
    let nextTime = -Infinity;
    for (const [id, item] of queue) {
      if (item.time > nextTime) {
        nextId = id;
        nextTime = item.time;
      }
    }
    const { commit } = queue.get(nextId!)!;
    queue.delete(nextId!);
    walked++;
    const mine = await entriesAt(commit);
    if (!mine) continue;
    const parents: Array<{ id: ObjectId; entries: Map<string, ObjectId> | undefined; dir?: ObjectId }> = [];
    for (const parent of commit.parents) {
      const parentCommit = await reader.commit(parent);
      parents.push({
        id: parent,
        entries: await entriesAt(parentCommit),
        ...{ dir: await idAtPath(reader, parentCommit.tree, segments) },
      });
    }
    const myDir = await idAtPath(reader, commit.tree, segments);
    const sameDir = parents.find((parent) => parent.dir === myDir);
    if (sameDir) {
      await push(sameDir.id);
      continue;
    }
    for (const name of [...pending]) {
      const id = mine.get(name);
      if (id === undefined) continue;
      if (!parents.some((parent) => parent.entries?.get(name) === id)) {
        found.set(name, nextId!);
        pending.delete(name);
      }
    }
    for (const parent of parents) await push(parent.id);
  }

  const briefs = new Map<ObjectId, CommitBrief>();
  const entries: TreeEntryInfo[] = [];
  for (const entry of listing) {
    const kind = entryKind(entry.mode);
    const size = kind === 'blob' || kind === 'symlink' ? await reader.size(entry.id) : undefined;
    const commitId = found.get(entry.name);
    if (commitId && !briefs.has(commitId)) briefs.set(commitId, await commitBrief(reader, commitId));
    entries.push({
      name: entry.name,
      kind,
      ...(size !== undefined ? { size } : {}),
      ...(commitId ? { lastCommit: briefs.get(commitId)! } : {}),
    });
  }
  const result: TreeInfo = { commit: start, path, entries, complete: pending.size === 0, walked };
  cache.set(key, result);
  if (cache.size > LAST_COMMIT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return result;
}
