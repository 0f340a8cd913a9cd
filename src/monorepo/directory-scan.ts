import { createHash } from 'node:crypto';
import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import type { PathReader } from '../repo/served-repository.js';
import { MAX_BLINK_BYTES } from './b-link.js';
import { readBLink } from './locate-path.js';

/** Directory trees whose scans are kept (a tree id never changes what it holds). */
const SCANS_KEPT = 16;

/** One file of a directory tree: a b-link (naming its repository) or a directory file. */
export interface DirectoryFile {
  /** Path inside the scanned tree (`team/app`). */
  readonly at: string;
  readonly mode: string;
  readonly id: ObjectId;
  /** The repository a b-link names; undefined for any other file (README…). */
  readonly repoPath: string | undefined;
}

/** What of a scanned directory a reader sees: the inputs of their view, without reading objects. */
export interface ReaderShare {
  /** Paths left out (sorted): b-links by repository path, other files by directory path. */
  readonly hidden: readonly string[];
  /** Repository paths of the b-links kept, in tree order. */
  readonly linked: readonly string[];
  /** Digest of the files kept (path, mode, id, repository): equal digests, equal views. */
  readonly digest: string;
}

/**
 * The files of directory trees, b-links read once per tree id: a reader's hidden set is then
 * computed from paths alone, instead of reading every b-link blob on each request.
 */
export class DirectoryScans {
  private readonly scans = new Map<ObjectId, Promise<readonly DirectoryFile[]>>();

  files(reader: ObjectReader, tree: ObjectId): Promise<readonly DirectoryFile[]> {
    let scan = this.scans.get(tree);
    if (!scan) {
      scan = scanDirectory(reader, tree);
      // A failed read is not kept: the next request reads again.
      scan.catch(() => this.scans.delete(tree));
      this.scans.set(tree, scan);
      if (this.scans.size > SCANS_KEPT) this.scans.delete(this.scans.keys().next().value!);
    }
    return scan;
  }
}

/** Every file under `tree`, depth first in tree order, b-links with the repository they name. */
export async function scanDirectory(reader: ObjectReader, tree: ObjectId): Promise<DirectoryFile[]> {
  const out: DirectoryFile[] = [];
  const walk = async (id: ObjectId, prefix: string): Promise<void> => {
    for (const entry of await reader.tree(id)) {
      const at = `${prefix}${entry.name}`;
      const kind = entryKind(entry.mode);
      if (kind === 'tree') {
        await walk(entry.id, `${at}/`);
        continue;
      }
      // Only a b-link's few bytes are read: a bigger file is never inflated here.
      const small =
        kind === 'blob' && !(await reader.readBounded(entry.id, 'blob', MAX_BLINK_BYTES)).truncated;
      const repoPath = small ? await readBLink(reader, entry.id) : undefined;
      out.push({ at, mode: entry.mode, id: entry.id, repoPath });
    }
  };
  await walk(tree, '');
  return out;
}

/** Blob id → the repository it names (undefined: not a b-link), for `DirectoryScope.bLinks`. */
export function bLinksOf(files: readonly DirectoryFile[]): Map<ObjectId, string | undefined> {
  const out = new Map<ObjectId, string | undefined>();
  for (const file of files) if (entryKind(file.mode) === 'blob') out.set(file.id, file.repoPath);
  return out;
}

/**
 * The rule `expandDirectory` and `filterDirectory` apply, over a scan: a file is left out when
 * the reader may not read its directory path, a b-link also when they may not read the
 * repository it names.
 */
export function readerShare(
  files: readonly DirectoryFile[],
  prefix: string,
  reader: PathReader,
): ReaderShare {
  const hidden: string[] = [];
  const linked: string[] = [];
  const digest = createHash('sha256');
  for (const file of files) {
    const path = `${prefix}/${file.at}`;
    // A b-link normally sits at its repository's path: one check then.
    const named = file.repoPath && file.repoPath !== path ? file.repoPath : undefined;
    if (!reader.canRead(path) || (named !== undefined && !reader.canRead(named))) {
      hidden.push(file.repoPath ?? path);
      continue;
    }
    if (file.repoPath) linked.push(file.repoPath);
    digest.update(`${file.at}\0${file.mode}\0${file.id}\0${file.repoPath ?? ''}\n`);
  }
  return { hidden: hidden.sort(), linked, digest: digest.digest('hex') };
}
