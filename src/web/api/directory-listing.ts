import type { Permissions } from '../../access/permissions.js';
import type { ObjectId } from '../../git/object-id.js';
import { entryKind } from '../../git/tree.js';
import { ruleFor } from '../../monorepo/clone-rules.js';
import { parseDirectoryPath } from '../../monorepo/directory-path.js';
import { locatePath, readBLink } from '../../monorepo/locate-path.js';
import { ObjectReader } from '../../repo/browse/object-reader.js';
import { resolveCommit } from '../../repo/browse/revision.js';
import { EVERY_PATH, type RepositoryResolver } from '../../repo/served-repository.js';
import { cloneRuleView, pushRuleView, type RuleView } from './clone-explanations.js';

/** Entries whose blob is checked for being a b-link at most (a directory area is small). */
export const MAX_BLINK_CHECKS = 5000;

export interface DirectoryEntry {
  readonly name: string;
  /** Absolute path in the Mega directory. */
  readonly path: string;
  readonly kind: 'directory' | 'repository' | 'file';
  readonly id: ObjectId;
  /** For a repository: the path its b-link names. */
  readonly repoPath?: string;
}

export interface DirectoryView {
  readonly path: string;
  readonly shape: 'root' | 'directory' | 'repository' | 'subdirectory' | 'absent';
  readonly area?: string;
  /** The directory commit this view was read from. */
  readonly directoryCommit: ObjectId;
  /** Set for a path that is (inside) a repository: browse it with the repository API. */
  readonly repoPath?: string;
  readonly subdir?: string;
  readonly entries?: readonly DirectoryEntry[];
  readonly clone: RuleView & { readonly url: string };
  readonly push: RuleView;
}

/**
 * What the Mega directory shows at `path` to `viewer`: its entries (directories, repositories
 * shown by their b-links, files), or the repository a path lands in, plus the clone URL and the
 * rule that governs cloning and pushing there (SPEC §6). What the viewer may not read does not
 * exist: hidden entries are left out (not even their names show) and a hidden path answers like
 * a missing one (404; 401 for anonymous callers).
 */
export async function listDirectory(
  resolver: RepositoryResolver,
  rawPath: string,
  baseUrl: string,
  viewer: Permissions,
): Promise<DirectoryView> {
  const parsed = parseDirectoryPath(rawPath);
  const root = await resolver.resolve('/', 'read', EVERY_PATH);
  const reader = new ObjectReader(root.objects);
  const directoryCommit = await resolveCommit('HEAD', await root.listRefs(), reader);
  const rootTree = (await reader.commit(directoryCommit)).tree;
  const located = await locatePath(reader, rootTree, parsed);
  if (located.shape === 'repository' || located.shape === 'subdirectory')
    viewer.requireRead(located.repoPath);
  else if (!viewer.canSeeInto(located.path)) viewer.requireRead(located.path);
  const area = located.shape === 'root' ? undefined : located.area;
  const rule = ruleFor(located.shape, area);
  const common = {
    path: located.path,
    shape: located.shape,
    ...(area ? { area } : {}),
    directoryCommit,
    clone: {
      url: `${baseUrl}${located.path === '/' ? '/' : `${located.path}.git`}`,
      ...cloneRuleView(rule.clone),
    },
    push: pushRuleView(rule.push),
  };
  if (located.shape === 'repository' || located.shape === 'subdirectory') {
    return { ...common, repoPath: located.repoPath, subdir: located.subdir.join('/') };
  }
  if (located.shape === 'root') {
    return { ...common, entries: visibleEntries(viewer, await listEntries(reader, rootTree, '/')) };
  }
  if (located.shape === 'directory') {
    return {
      ...common,
      entries: visibleEntries(viewer, await listEntries(reader, located.tree, located.path)),
    };
  }
  return common;
}

/** Directories and repositories the viewer can see into (something inside is readable), readable files. */
function visibleEntries(viewer: Permissions, entries: readonly DirectoryEntry[]): DirectoryEntry[] {
  return entries.filter((entry) =>
    entry.kind === 'file' ? viewer.canRead(entry.path) : viewer.canSeeInto(entry.repoPath ?? entry.path),
  );
}

async function listEntries(reader: ObjectReader, tree: ObjectId, path: string): Promise<DirectoryEntry[]> {
  const prefix = path === '/' ? '/' : `${path}/`;
  const entries: DirectoryEntry[] = [];
  let checks = 0;
  for (const entry of await reader.tree(tree)) {
    const kind = entryKind(entry.mode);
    const base = { name: entry.name, path: `${prefix}${entry.name}`, id: entry.id };
    if (kind === 'tree') {
      entries.push({ ...base, kind: 'directory' });
      continue;
    }
    const link =
      kind === 'blob' && checks++ < MAX_BLINK_CHECKS ? await readBLink(reader, entry.id) : undefined;
    entries.push(link ? { ...base, kind: 'repository', repoPath: link } : { ...base, kind: 'file' });
  }
  const order = { directory: 0, repository: 0, file: 1 } as const;
  return entries.sort(
    (a, b) => order[a.kind] - order[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
