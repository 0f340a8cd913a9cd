import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind, type TreeEntry } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
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
  /** Sum of the linked repositories' sizes. */
  readonly size: number;
  /** Newest committer time among the linked heads (0 without links). */
  readonly newestTime: number;
}

export type HeadLookup = (repoPath: string) => Promise<RepositoryHead | undefined>;

/**
 * Replaces every b-link under `tree` by its repository's head tree and recomputes the trees
 * above it (seed §1 "递归重新计算"). A b-link whose repository is missing or empty is left out:
 * the view shows only what can be cloned.
 */
export async function expandDirectory(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId,
  heads: HeadLookup,
): Promise<ExpandedDirectory> {
  const links: ViewLink[] = [];
  const totals = { size: 0, newestTime: 0 };
  const expanded = await expandTree(reader, objects, tree, '', heads, links, totals);
  return { tree: expanded, links, ...totals };
}

async function expandTree(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId,
  prefix: string,
  heads: HeadLookup,
  links: ViewLink[],
  totals: { size: number; newestTime: number },
): Promise<ObjectId | undefined> {
  const out: TreeEntry[] = [];
  for (const entry of await reader.tree(tree)) {
    const at = `${prefix}${entry.name}`;
    const kind = entryKind(entry.mode);
    if (kind === 'tree') {
      const id = await expandTree(reader, objects, entry.id, `${at}/`, heads, links, totals);
      if (id) out.push({ name: entry.name, mode: FileMode.tree, id });
      continue;
    }
    const repoPath =
      kind === 'blob' && (await isSmall(reader, entry.id)) ? await readBLink(reader, entry.id) : undefined;
    if (!repoPath) {
      out.push(entry);
      continue;
    }
    const head = await heads(repoPath);
    if (!head) continue;
    links.push({ at, repoPath, commit: head.commit, subdir: [] });
    totals.size += head.size;
    totals.newestTime = Math.max(totals.newestTime, head.committerTime);
    out.push({ name: entry.name, mode: FileMode.tree, id: head.tree });
  }
  return writeTree(objects, out);
}

/** Reads at most a b-link's bytes: a big file here is never inflated whole. */
async function isSmall(reader: ObjectReader, id: ObjectId): Promise<boolean> {
  return !(await reader.readBounded(id, 'blob', MAX_BLINK_BYTES)).truncated;
}
