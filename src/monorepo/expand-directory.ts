import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind, type TreeEntry } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import type { PathReader } from '../repo/served-repository.js';
import { MAX_BLINK_BYTES } from './b-link.js';
import { readBLink } from './locate-path.js';
import type { PendingObjects } from './pending-objects.js';
import { writeTree } from './tree-edit.js';

/** The head of a hosted repository, as a directory view needs it. */
export interface RepositoryHead {
  readonly commit: ObjectId;
  readonly tree: ObjectId;
  readonly committerTime: number;
  /** Stored size of the repository in bytes (seed §3: the clone limit sums these). */
  readonly size: number;
}

/** Where a repository sits inside a view, and which of its commits the view shows. */
export interface ViewLink {
  /** Path inside the view's tree (`a/b`), `''` when the whole view is this repository. */
  readonly at: string;
  readonly repoPath: string;
  readonly commit: ObjectId;
  /** Subdirectory of the repository shown at `at` (empty = its root). */
  readonly subdir: readonly string[];
}

export interface ExpandedDirectory {
  readonly tree: ObjectId | undefined;
  readonly links: readonly ViewLink[];
  /** Sum of the linked repositories' sizes (only what the view includes). */
  readonly size: number;
  /** Newest committer time among the linked heads (0 without links). */
  readonly newestTime: number;
  /** Directory paths the reader may not read, left out (sorted): b-links by repository path. */
  readonly hidden: readonly string[];
}

export type HeadLookup = (repoPath: string) => Promise<RepositoryHead | undefined>;

/** Where a directory tree sits and who reads it: entries the reader may not read are left out. */
export interface DirectoryScope {
  /** Directory path of the tree (`/projects/team`; `''` for the root). */
  readonly prefix: string;
  readonly reader: PathReader;
  /** What blobs already read say (`bLinksOf` a scan): their repository path, undefined if not a b-link. */
  readonly bLinks?: ReadonlyMap<ObjectId, string | undefined>;
}

/**
 * Replaces every b-link under `tree` by its repository's head tree and recomputes the trees
 * above it (seed §1 "递归重新计算"). A b-link whose repository is missing or empty is left out:
 * the view shows only what can be cloned. So is every b-link of a repository, and every
 * directory file, that the reader may not read: nothing of them (tree entry, blob, message
 * line, size) is in the result, and the clone limit sums only what is included.
 */
export async function expandDirectory(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId,
  heads: HeadLookup,
  scope: DirectoryScope,
): Promise<ExpandedDirectory> {
  const walk: Walk = {
    reader,
    objects,
    heads,
    scope,
    links: [],
    linked: [],
    hidden: [],
    size: 0,
    newestTime: 0,
  };
  const expanded = await expandTree(walk, tree, '');
  return {
    tree: expanded,
    links: walk.links,
    size: walk.size,
    newestTime: walk.newestTime,
    hidden: walk.hidden.sort(),
  };
}

export interface FilteredDirectory {
  readonly tree: ObjectId | undefined;
  /** Repository paths of the b-links kept. */
  readonly linked: readonly string[];
  /** Directory paths the reader may not read, left out (sorted). */
  readonly hidden: readonly string[];
}

/**
 * The directory tree as it is (b-links kept as files) without what the reader may not read:
 * the root `/` for a reader who cannot read every repository.
 */
export async function filterDirectory(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId,
  scope: DirectoryScope,
): Promise<FilteredDirectory> {
  const walk: Walk = { reader, objects, scope, links: [], linked: [], hidden: [], size: 0, newestTime: 0 };
  const filtered = await expandTree(walk, tree, '');
  return { tree: filtered, linked: walk.linked, hidden: walk.hidden.sort() };
}

/** State of one walk; without `heads`, b-links are kept as files instead of expanded. */
interface Walk {
  readonly reader: ObjectReader;
  readonly objects: PendingObjects;
  readonly heads?: HeadLookup;
  readonly scope: DirectoryScope;
  readonly links: ViewLink[];
  readonly linked: string[];
  readonly hidden: string[];
  size: number;
  newestTime: number;
}

async function expandTree(walk: Walk, tree: ObjectId, prefix: string): Promise<ObjectId | undefined> {
  const { reader, objects, scope } = walk;
  const out: TreeEntry[] = [];
  for (const entry of await reader.tree(tree)) {
    const at = `${prefix}${entry.name}`;
    const kind = entryKind(entry.mode);
    if (kind === 'tree') {
      const id = await expandTree(walk, entry.id, `${at}/`);
      if (id) out.push({ name: entry.name, mode: FileMode.tree, id });
      continue;
    }
    const repoPath = kind === 'blob' ? await bLinkPath(walk, entry.id) : undefined;
    const entryPath = `${scope.prefix}/${at}`;
    // A b-link names its repository's path (normally its own): both must be readable.
    if (!scope.reader.canRead(entryPath) || (repoPath && !scope.reader.canRead(repoPath))) {
      walk.hidden.push(repoPath ?? entryPath);
      continue;
    }
    if (!repoPath) {
      out.push(entry);
      continue;
    }
    if (!walk.heads) {
      walk.linked.push(repoPath);
      out.push(entry);
      continue;
    }
    const head = await walk.heads(repoPath);
    if (!head) continue;
    walk.links.push({ at, repoPath, commit: head.commit, subdir: [] });
    walk.size += head.size;
    walk.newestTime = Math.max(walk.newestTime, head.committerTime);
    out.push({ name: entry.name, mode: FileMode.tree, id: head.tree });
  }
  return writeTree(objects, out);
}
/** The repository a blob names when it is a b-link, from the scope's known blobs when there. */
async function bLinkPath(walk: Walk, id: ObjectId): Promise<string | undefined> {
  const known = walk.scope.bLinks;
  if (known?.has(id)) return known.get(id);
  return (await isSmall(walk.reader, id)) ? readBLink(walk.reader, id) : undefined;
}

/** Reads at most a b-link's bytes: a big file here is never inflated whole. */
async function isSmall(reader: ObjectReader, id: ObjectId): Promise<boolean> {
  return !(await reader.readBounded(id, 'blob', MAX_BLINK_BYTES)).truncated;
}
