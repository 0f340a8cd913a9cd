import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import { invalid, isMegaError } from '../platform/errors.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import { splitLines } from '../repo/browse/line-diff.js';
import { isBinary, MAX_DIFF_BLOB_BYTES } from '../repo/browse/tree-diff.js';
import { splitTreePath } from '../repo/browse/tree-path.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import type { CommentPosition } from '../storage/review/comment-store.js';

/** A line comment's position as a client names it (the commit is chosen by the server). */
export interface PositionInput {
  readonly repoPath: string;
  readonly path: string;
  readonly side: 'old' | 'new';
  readonly line: number;
}

interface FileEntry {
  readonly id: ObjectId;
  readonly mode: string;
}

/**
 * Files of the commits of one request, read at most once per (commit, path): anchoring checks and
 * the outdated flags of a whole discussion page share it, so 200 comments on ten files read ten
 * files (trees are memoised by the `ObjectReader`). Lines are only read for text blobs that a diff
 * would show (at most `MAX_DIFF_BLOB_BYTES`, no NUL in the first bytes); others have no lines.
 */
export class FileLines {
  private readonly entries = new Map<string, Promise<FileEntry | undefined>>();
  private readonly texts = new Map<ObjectId, Promise<readonly string[] | undefined>>();

  constructor(private readonly reader: ObjectReader) {}

  /** The entry at `path` in `commit`'s tree, undefined when missing. */
  entry(commit: ObjectId, path: string): Promise<FileEntry | undefined> {
    const key = `${commit}:${path}`;
    let found = this.entries.get(key);
    if (!found) {
      found = this.lookUp(commit, path);
      this.entries.set(key, found);
    }
    return found;
  }

  /** The lines of a text blob, or undefined for a binary, oversized or non-file entry. */
  lines(entry: FileEntry): Promise<readonly string[] | undefined> {
    let read = this.texts.get(entry.id);
    if (!read) {
      read = this.readLines(entry);
      this.texts.set(entry.id, read);
    }
    return read;
  }

  private async lookUp(commit: ObjectId, path: string): Promise<FileEntry | undefined> {
    let tree = (await this.reader.commit(commit)).tree;
    const segments = path.split('/');
    for (const [index, segment] of segments.entries()) {
      const entry = (await this.reader.tree(tree)).find((item) => item.name === segment);
      if (!entry) return undefined;
      if (index === segments.length - 1) return { id: entry.id, mode: entry.mode };
      if (entryKind(entry.mode) !== 'tree') return undefined;
      tree = entry.id;
    }
    return undefined;
  }

  private async readLines(entry: FileEntry): Promise<readonly string[] | undefined> {
    if (entryKind(entry.mode) !== 'blob') return undefined;
    const read = await this.reader.readBounded(entry.id, 'blob', MAX_DIFF_BLOB_BYTES);
    if (read.truncated || isBinary(read.content)) return undefined;
    return splitLines(read.content.toString('utf8'));
  }
}

function badPosition(message: string, details: Record<string, unknown> = {}) {
  return invalid('comment_position_invalid', message, details);
}

/** `/projects/foo` from `projects/foo/` (the forms clients send). */
export function normalizeRepoPath(path: string): string {
  const rooted = path.startsWith('/') ? path : `/${path}`;
  return rooted.length > 1 && rooted.endsWith('/') ? rooted.slice(0, -1) : rooted;
}

/** Whether `path` differs between the base and the head of a change (it is in the diff). */
function inDiff(base: FileEntry | undefined, head: FileEntry | undefined): boolean {
  return base?.id !== head?.id || base?.mode !== head?.mode;
}

/**
 * Checks a line comment's position against the merge request as it is now and anchors it: the
 * repository is one the request touches, the file is in that repository's diff, it exists on
 * that side as a text file, and the line is one of its lines. The commit recorded is the one the
 * line counts in: the change's head for the `new` side, its base for the `old` side (a later
 * update can move either, and the outdated check compares like with like).
 */
export async function anchorPosition(
  files: FileLines,
  request: MergeRequestRecord,
  input: PositionInput,
): Promise<CommentPosition> {
  const repoPath = normalizeRepoPath(input.repoPath);
  const change = request.changes.find((item) => item.repoPath === repoPath);
  if (!change) {
    throw badPosition(`merge request !${request.number} does not change ${repoPath}`, { repoPath });
  }
  let segments: string[];
  try {
    segments = splitTreePath(input.path);
  } catch (error) {
    if (isMegaError(error))
      throw badPosition('the file path is not valid', { path: input.path.slice(0, 200) });
    throw error;
  }
  if (segments.length === 0) throw badPosition('a line comment needs a file path');
  const path = segments.join('/');
  const base = await files.entry(change.baseCommit, path);
  const head = await files.entry(change.headCommit, path);
  if (!inDiff(base, head)) {
    throw badPosition(`${path} is not in the diff of ${repoPath}`, { repoPath, path });
  }
  const commitId = input.side === 'new' ? change.headCommit : change.baseCommit;
  const entry = input.side === 'new' ? head : base;
  if (!entry) {
    throw badPosition(`${path} does not exist on the ${input.side} side`, {
      repoPath,
      path,
      side: input.side,
    });
  }
  const lines = await files.lines(entry);
  if (!lines) {
    throw badPosition(`${path} has no lines to comment on (binary, too large or not a file)`, {
      repoPath,
      path,
    });
  }
  if (!Number.isInteger(input.line) || input.line < 1 || input.line > lines.length) {
    throw badPosition(`line ${input.line} is not a line of ${path} (${lines.length} lines)`, {
      repoPath,
      path,
      side: input.side,
      line: input.line,
      lines: lines.length,
    });
  }
  return { repoPath, path, side: input.side, line: input.line, commitId };
}

/**
 * Whether a line comment no longer applies to the merge request as it is now: its repository is
 * no longer changed, its file is no longer in that repository's diff or is gone from its side,
 * or the line's content differs from when the comment was made (same line number, other text).
 * Nothing tries to follow a line that moved: such a comment is outdated, as a reviewer expects.
 */
export async function isOutdated(
  files: FileLines,
  request: MergeRequestRecord,
  position: CommentPosition,
): Promise<boolean> {
  const change = request.changes.find((item) => item.repoPath === position.repoPath);
  if (!change) return true;
  const base = await files.entry(change.baseCommit, position.path);
  const head = await files.entry(change.headCommit, position.path);
  if (!inDiff(base, head)) return true;
  const commitNow = position.side === 'new' ? change.headCommit : change.baseCommit;
  const now = position.side === 'new' ? head : base;
  if (!now) return true;
  if (position.commitId === commitNow) return false;
  // The commit the comment was made on may be gone (objects of a replaced proposal): outdated.
  const then = await files.entry(position.commitId, position.path).catch(() => undefined);
  if (!then) return true;
  if (then.id === now.id) return false;
  const [linesThen, linesNow] = [await files.lines(then), await files.lines(now)];
  if (!linesThen || !linesNow) return true;
  const index = position.line - 1;
  return index >= linesNow.length || linesThen[index] !== linesNow[index];
}
