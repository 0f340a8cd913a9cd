import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import { notFound } from '../platform/errors.js';
import { MAX_BLINK_BYTES, parseBLink } from './b-link.js';
import type { PathShape } from './clone-rules.js';
import type { DirectoryArea, ParsedDirectoryPath } from './directory-path.js';

/**
 * Where a URL path lands in a version of the directory tree: the root, a directory, a repository
 * (a b-link), a subdirectory inside a repository, or nothing yet. Walks the directory tree one
 * segment at a time; the first b-link met is the repository and the remaining segments are a
 * path inside it.
 */
export type LocatedPath =
  | { readonly shape: 'root'; readonly path: '/' }
  | {
      readonly shape: 'directory';
      readonly area: DirectoryArea;
      readonly path: string;
      readonly tree: ObjectId;
    }
  | {
      readonly shape: 'repository' | 'subdirectory';
      readonly area: DirectoryArea;
      readonly path: string;
      /** The repository path named by the b-link. */
      readonly repoPath: string;
      /** Directory path of the b-link file itself (normally equal to `repoPath`). */
      readonly linkPath: string;
      readonly subdir: readonly string[];
    }
  | { readonly shape: 'absent'; readonly area: DirectoryArea; readonly path: string };

export async function locatePath(
  reader: ObjectReader,
  rootTree: ObjectId,
  parsed: ParsedDirectoryPath,
): Promise<LocatedPath> {
  if (parsed.kind === 'root') return { shape: 'root', path: '/' };
  const segments = [parsed.area, ...parsed.rest];
  let tree = rootTree;
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i] as string;
    const entry = (await reader.tree(tree)).find((candidate) => candidate.name === name);
    if (!entry) return { shape: 'absent', area: parsed.area, path: parsed.path };
    const kind = entryKind(entry.mode);
    if (kind === 'tree') {
      tree = entry.id;
      continue;
    }
    const link = kind === 'blob' ? await readBLink(reader, entry.id) : undefined;
    if (!link) {
      throw notFound(
        'directory_path_not_found',
        `not a repository or directory: /${segments.slice(0, i + 1).join('/')}`,
      );
    }
    const subdir = segments.slice(i + 1);
    return {
      shape: subdir.length === 0 ? 'repository' : 'subdirectory',
      area: parsed.area,
      path: parsed.path,
      repoPath: link,
      linkPath: `/${segments.slice(0, i + 1).join('/')}`,
      subdir,
    };
  }
  return { shape: 'directory', area: parsed.area, path: parsed.path, tree };
}

/** The repository path of a b-link blob, or undefined when the blob is an ordinary file. */
export async function readBLink(reader: ObjectReader, blob: ObjectId): Promise<string | undefined> {
  // Only a b-link's few bytes are read: any bigger file is an ordinary one, never inflated here.
  const read = await reader.readBounded(blob, 'blob', MAX_BLINK_BYTES);
  if (read.truncated) return undefined;
  return parseBLink(read.content)?.path;
}

export type { PathShape };
