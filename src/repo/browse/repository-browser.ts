import type { ObjectId } from '../../git/object-id.js';
import { entryKind, type EntryKind } from '../../git/tree.js';
import { invalid } from '../../platform/errors.js';
import type { RefSnapshot, ServedRepository } from '../served-repository.js';
import {
  commitDisplay,
  MAX_LOG_OFFSET,
  MAX_LOG_PAGE_SIZE,
  walkLog,
  type CommitDisplay,
  type LogPage,
} from './commit-log.js';
import { DEFAULT_DISPLAY_LIMIT } from './bounded-read.js';
import { blameFile, type BlameResult } from './blame.js';
import { commitsBetween } from './ahead-behind.js';
import { treeInfo, type TreeInfo } from './last-commits.js';
import {
  branchPage,
  tagPage,
  type BranchSummary,
  type RefPage,
  type RefPageQuery,
  type TagSummary,
} from './ref-summary.js';
import { ObjectReader, type ObjectReaderOptions } from './object-reader.js';
import { defaultBranch, resolveCommit } from './revision.js';
import { BINARY_SNIFF_BYTES, diffFiles, diffTrees, isBinary, type TreeDiff } from './tree-diff.js';
import { resolveTreePath, splitTreePath } from './tree-path.js';

export interface RefInfo {
  readonly name: string;
  readonly kind: 'branch' | 'tag' | 'other';
  /** Name without `refs/heads/` or `refs/tags/`. */
  readonly shortName: string;
  readonly target: ObjectId;
  readonly peeled?: ObjectId;
}

export interface RefList {
  readonly defaultBranch?: string;
  readonly refs: readonly RefInfo[];
}

export interface TreeItem {
  readonly name: string;
  readonly path: string;
  readonly kind: EntryKind;
  readonly mode: string;
  readonly id: ObjectId;
}

export interface TreeListing {
  readonly commit: ObjectId;
  readonly path: string;
  readonly id: ObjectId;
  /** Directories first, then files, each by name (what people expect in a file browser). */
  readonly entries: readonly TreeItem[];
}

export interface BlobView {
  readonly commit: ObjectId;
  readonly path: string;
  readonly id: ObjectId;
  readonly mode: string;
  readonly kind: EntryKind;
  /** The blob's real size. */
  readonly size: number;
  /** Judged on the first bytes, as git does (a NUL among them). */
  readonly binary: boolean;
  /** Raw bytes, at most the display limit; callers decide whether to inline them as text. */
  readonly content: Buffer;
  /** True when `content` is only the first `displayLimit` bytes of the blob. */
  readonly truncated: boolean;
}

/** A blob opened for a raw download: its facts and its content in pieces, never whole. */
export interface OpenedBlob extends Omit<BlobView, 'content' | 'truncated'> {
  readonly content: AsyncIterable<Buffer>;
}

export interface CommitDetail extends CommitDisplay {
  readonly diff: TreeDiff;
}

export interface CompareResult {
  readonly from: ObjectId;
  readonly to: ObjectId;
  readonly diff: TreeDiff;
}

export type BrowsableRepository = Pick<ServedRepository, 'path' | 'listRefs' | 'objects'>;

export interface LogQuery {
  readonly revision: string;
  readonly path?: string;
  readonly offset?: number;
  readonly limit?: number;
}

/**
 * Read-only views of one repository for the REST API and the web UI: refs, paged history, trees
 * and blobs at any revision, commit detail and the diff between two commits. Works over any
 * `ServedRepository` (stored or synthetic directory views) through its `ObjectSource`.
 */
export class RepositoryBrowser {
  private readonly reader: ObjectReader;
  private snapshot?: Promise<RefSnapshot>;

  constructor(
    private readonly repository: BrowsableRepository,
    options: ObjectReaderOptions = {},
  ) {
    this.reader = new ObjectReader(repository.objects, {
      displayLimit: options.displayLimit ?? DEFAULT_DISPLAY_LIMIT,
    });
  }

  private refsSnapshot(): Promise<RefSnapshot> {
    this.snapshot ??= this.repository.listRefs();
    return this.snapshot;
  }

  async refs(): Promise<RefList> {
    const snapshot = await this.refsSnapshot();
    const head = defaultBranch(snapshot);
    return {
      ...(head ? { defaultBranch: head.replace(/^refs\/heads\//, '') } : {}),
      refs: snapshot.refs.map((ref) => ({
        name: ref.name,
        kind: ref.name.startsWith('refs/heads/')
          ? 'branch'
          : ref.name.startsWith('refs/tags/')
            ? 'tag'
            : 'other',
        shortName: ref.name.replace(/^refs\/(heads|tags)\//, ''),
        target: ref.target,
        ...(ref.peeled ? { peeled: ref.peeled } : {}),
      })),
    };
  }

  async resolve(revision: string): Promise<ObjectId> {
    return resolveCommit(revision, await this.refsSnapshot(), this.reader);
  }

  async log(query: LogQuery): Promise<LogPage> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 30;
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_LOG_OFFSET) {
      throw invalid('paging_invalid', 'offset out of range', { max: MAX_LOG_OFFSET });
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_PAGE_SIZE) {
      throw invalid('paging_invalid', 'page size out of range', { max: MAX_LOG_PAGE_SIZE });
    }
    const start = await this.resolve(query.revision);
    return walkLog(this.reader, start, { offset, limit, path: splitTreePath(query.path ?? '') });
  }

  async commit(revision: string): Promise<CommitDetail> {
    const id = await this.resolve(revision);
    const commit = await this.reader.commit(id);
    const parent = commit.parents[0];
    const parentTree = parent ? (await this.reader.commit(parent)).tree : undefined;
    const changes = await diffTrees(this.reader, parentTree, commit.tree);
    return {
      ...commitDisplay(id, commit, this.reader.cutCommitSize(id)),
      diff: await diffFiles(this.reader, changes),
    };
  }

  async compare(fromRevision: string, toRevision: string): Promise<CompareResult> {
    const from = await this.resolve(fromRevision);
    const to = await this.resolve(toRevision);
    const [fromCommit, toCommit] = [await this.reader.commit(from), await this.reader.commit(to)];
    const changes = await diffTrees(this.reader, fromCommit.tree, toCommit.tree);
    return { from, to, diff: await diffFiles(this.reader, changes) };
  }

  async tree(revision: string, path: string): Promise<TreeListing> {
    const commitId = await this.resolve(revision);
    const root = (await this.reader.commit(commitId)).tree;
    const target = await resolveTreePath(this.reader, root, splitTreePath(path));
    if (target.kind !== 'tree')
      throw invalid('path_not_tree', 'path is not a directory', { path: target.path });
    const prefix = target.path === '' ? '' : `${target.path}/`;
    const entries = (await this.reader.tree(target.id)).map((entry) => ({
      name: entry.name,
      path: `${prefix}${entry.name}`,
      kind: entryKind(entry.mode),
      mode: entry.mode,
      id: entry.id,
    }));
    entries.sort(
      (a, b) => Number(b.kind === 'tree') - Number(a.kind === 'tree') || compareNames(a.name, b.name),
    );
    return { commit: commitId, path: target.path, id: target.id, entries };
  }

  /** Who last changed each line of a file (`blame.ts`: bounded, flagged when cut short). */
  async blame(revision: string, path: string): Promise<BlameResult> {
    const target = await this.fileAt(revision, path);
    return blameFile(this.reader, target.commit, splitTreePath(target.path));
  }

  /** One page of branches with last commit and ahead/behind the default branch. */
  async branches(query: RefPageQuery): Promise<RefPage<BranchSummary>> {
    return branchPage(this.reader, await this.refs(), query);
  }

  /** One page of tags with their target and date. */
  async tags(query: RefPageQuery): Promise<RefPage<TagSummary>> {
    return tagPage(this.reader, await this.refs(), query);
  }

  /**
   * What a `base...head` compare page lists: the commits in `head` and not in `base`, newest
   * first (bounded, `truncated`), and their merge base, the commit the page's diff starts from.
   */
  async compareCommits(baseRevision: string, headRevision: string) {
    const base = await this.resolve(baseRevision);
    const head = await this.resolve(headRevision);
    const between = await commitsBetween(this.reader, base, head);
    const commits: CommitDisplay[] = [];
    for (const id of between.commits) {
      commits.push(commitDisplay(id, await this.reader.commit(id), this.reader.cutCommitSize(id)));
    }
    return { base, head, mergeBase: between.mergeBase ?? null, truncated: between.truncated, commits };
  }

  /** A directory's entries with size and last commit (`last-commits.ts`). */
  async treeInfo(revision: string, path: string): Promise<TreeInfo> {
    const commitId = await this.resolve(revision);
    const root = (await this.reader.commit(commitId)).tree;
    const target = await resolveTreePath(this.reader, root, splitTreePath(path));
    if (target.kind !== 'tree')
      throw invalid('path_not_tree', 'path is not a directory', { path: target.path });
    return treeInfo(this.reader, commitId, splitTreePath(target.path));
  }

  /** A file's first `displayLimit` bytes, its real size and whether it was cut. */
  async blob(revision: string, path: string): Promise<BlobView> {
    const target = await this.fileAt(revision, path);
    const read = await this.reader.readBounded(target.id, 'blob');
    return {
      ...target,
      size: read.size,
      binary: isBinary(read.content),
      content: read.content,
      truncated: read.truncated,
    };
  }

  /**
   * A file for a raw download: its content streamed from storage in pieces, whatever its size.
   * `binary` is judged on the first bytes, read ahead and handed on in `content`.
   */
  async openBlob(revision: string, path: string): Promise<OpenedBlob> {
    const target = await this.fileAt(revision, path);
    const opened = await this.reader.openTyped(target.id, 'blob');
    const iterator = opened.content[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headLength = 0;
    while (headLength < BINARY_SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) break;
      head.push(next.value);
      headLength += next.value.length;
    }
    return {
      ...target,
      size: opened.size,
      binary: isBinary(Buffer.concat(head, headLength)),
      content: prepend(head, iterator),
    };
  }

  private async fileAt(revision: string, path: string) {
    const commitId = await this.resolve(revision);
    const root = (await this.reader.commit(commitId)).tree;
    const target = await resolveTreePath(this.reader, root, splitTreePath(path));
    if (target.kind === 'tree' || target.kind === 'gitlink') {
      throw invalid('path_not_file', 'path is not a file', { path: target.path });
    }
    return { commit: commitId, path: target.path, id: target.id, mode: target.mode, kind: target.kind };
  }
}

/** The pieces read ahead, then the rest of the iterator; ending early ends the iterator. */
async function* prepend(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
