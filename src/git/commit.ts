import { invalid } from '../platform/errors.js';
import { parseHeaderBlock, serializeHeaderBlock, type Header, type TextEncoding } from './headers.js';
import { headerObjectId, type ObjectId } from './object-id.js';

/** A commit as walks need it: negotiation, shallow and deepen computations, clone walks. */
export interface CommitSummary {
  readonly id: ObjectId;
  readonly tree: ObjectId;
  readonly parents: readonly ObjectId[];
  /** Committer time, seconds since the epoch (for `deepen-since` and walking order). */
  readonly committerTime: number;
}

/**
 * A commit object (git-commit-tree, commit.c). `extraHeaders` keeps everything after the
 * committer in order (encoding, mergetag, gpgsig, unknown headers) so serialising is byte-exact.
 */

export interface Commit {
  readonly tree: ObjectId;
  readonly parents: readonly ObjectId[];
  /** The raw ident text, e.g. `A U Thor <a@example.com> 1700000000 +0000` (see `parseIdent`). */
  readonly author: string;
  readonly committer: string;
  readonly extraHeaders: readonly Header[];
  readonly message: string;
  /** How the bytes were decoded; `latin1` only for objects that are not valid UTF-8. */
  readonly textEncoding?: TextEncoding;
}

/** Parses commit content; throws `object_bad_commit` when required headers are missing or out of order. */
export function parseCommit(data: Buffer): Commit {
  const block = parseHeaderBlock(data, 'commit');
  const headers = block.headers;
  // Headers in git's order, read by index: no closure per commit (an ingest parses thousands).
  let i = 0;
  const tree = valueOf(headers[i], 'tree');
  if (tree === undefined) throw invalid('object_bad_commit', 'commit has no tree header');
  i++;
  const parents: ObjectId[] = [];
  for (
    let parent = valueOf(headers[i], 'parent');
    parent !== undefined;
    parent = valueOf(headers[++i], 'parent')
  ) {
    parents.push(headerObjectId(parent));
  }
  const author = valueOf(headers[i], 'author');
  if (author !== undefined) i++;
  const committer = valueOf(headers[i], 'committer');
  if (committer !== undefined) i++;
  if (author === undefined || committer === undefined) {
    throw invalid('object_bad_commit', 'commit has no author or committer header');
  }
  return {
    tree: headerObjectId(tree),
    parents,
    author,
    committer,
    extraHeaders: headers.slice(i),
    message: block.message ?? '',
    ...(block.encoding === 'latin1' ? { textEncoding: block.encoding } : {}),
  };
}

/** The header's value when it is named `name`. */
function valueOf(header: Header | undefined, name: string): string | undefined {
  return header?.name === name ? header.value : undefined;
}

/** Serialises a commit in git's header order. */
export function serializeCommit(commit: Commit): Buffer {
  const headers: Header[] = [
    { name: 'tree', value: commit.tree },
    ...commit.parents.map((parent) => ({ name: 'parent', value: parent })),
    { name: 'author', value: commit.author },
    { name: 'committer', value: commit.committer },
    ...commit.extraHeaders,
  ];
  return serializeHeaderBlock(headers, commit.message, commit.textEncoding ?? 'utf8');
}

/** The value of the first header called `name` (e.g. `encoding`, `gpgsig`). */
export function commitHeader(commit: Commit, name: string): string | undefined {
  return commit.extraHeaders.find((header) => header.name === name)?.value;
}
