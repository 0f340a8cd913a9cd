import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import { Permissions } from '../access/permissions.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import type { FileChange } from '../repo/browse/tree-diff.js';
import { EVERY_PATH, type PathReader } from '../repo/served-repository.js';
import { readBLink } from './locate-path.js';
import { entryAtPath } from './tree-edit.js';

/** README-type files: `README`, `README.md`, `readme.txt` … (any case, one extension). */
export const README_NAME = /^readme(\.[A-Za-z0-9]{1,16})?$/i;

/**
 * The directory's own files (issue 22): a directory of the Mega directory (the root,
 * `projects/`, `import/`, any directory without a b-link) may have README-type files, changed
 * through the root or through that directory's clone. Anything else there is the server's: the
 * b-links (a repository is created by a push to a new path, removed by an administrator) and any
 * other file. Returns why `change` (a path of the directory repository, from its root) is refused,
 * or undefined when it may be made. `before` is the directory tree the change applies to: the
 * README's directory must exist there (a README does not create a directory, which would take a
 * path a repository may want).
 */
export async function directoryFileRefusal(
  reader: ObjectReader,
  before: ObjectId,
  change: FileChange,
): Promise<string | undefined> {
  const segments = change.path.split('/');
  const name = segments[segments.length - 1] ?? '';
  const outside = `${change.path} is not a README of a directory: only README files of directories can change outside repositories; push code to a repository under /projects`;
  if (!README_NAME.test(name)) return outside;
  if (change.newMode !== undefined && entryKind(change.newMode) !== 'blob') return outside;
  const parent = segments.slice(0, -1);
  const directory = parent.length === 0 ? undefined : await entryAtPath(reader, before, parent);
  if (parent.length > 0 && (!directory || entryKind(directory.mode) !== 'tree')) {
    return `${change.path}: a README can only change in an existing directory`;
  }
  for (const id of [change.oldId, change.newId]) {
    if (id && (await readBLink(reader, id)) !== undefined) {
      return `${change.path} is a b-link: repositories are added by pushing to a new path and removed by an administrator`;
    }
  }
  return undefined;
}

/** The directory holding a directory file, as a path of the Mega directory (`/projects`, `/`). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '/' : `/${path.slice(0, slash)}`;
}

/** Whether `reader` may write at `path` (operators everywhere; a `Permissions` by its roles). */
export function canWrite(reader: PathReader, path: string): boolean {
  return reader === EVERY_PATH || (reader instanceof Permissions && reader.has(path, 'write'));
}
