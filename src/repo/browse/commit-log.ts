import type { Commit } from '../../git/commit.js';
import type { ObjectId } from '../../git/object-id.js';
import { parseIdent, type Ident } from '../../git/ident.js';
import type { ObjectReader } from './object-reader.js';
import { idAtPath } from './tree-path.js';

/** Largest page of a commit log. */
export const MAX_LOG_PAGE_SIZE = 100;
/** Commits skipped by paging at most; deeper history is reached from an older commit id. */
export const MAX_LOG_OFFSET = 100_000;

export interface PersonInfo {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly timezone: string;
}

/**
 * A commit as the browse API shows it: parsed idents and a title for display. Walks use the
 * smaller `CommitSummary` of `src/git/commit.ts`.
 */
export interface CommitDisplay {
  readonly id: ObjectId;
  readonly tree: ObjectId;
  readonly parents: readonly ObjectId[];
  readonly author: PersonInfo;
  readonly committer: PersonInfo;
  /** First line of the message. */
  readonly title: string;
  readonly message: string;
  /** Set when the commit is bigger than the display limit: `message` is then only its start. */
  readonly truncated?: true;
  /** The commit object's real size, given when `truncated`. */
  readonly size?: number;
}

export function person(text: string): PersonInfo {
  try {
    const ident: Ident = parseIdent(text);
    return { name: ident.name, email: ident.email, timestamp: ident.timestamp, timezone: ident.timezone };
  } catch {
    // Old or foreign commits can carry malformed idents; show the raw text rather than fail the page.
    return { name: text, email: '', timestamp: 0, timezone: '+0000' };
  }
}

/** `cutSize`: the real size of a commit whose message was cut for display (`ObjectReader`). */
export function commitDisplay(id: ObjectId, commit: Commit, cutSize?: number): CommitDisplay {
  return {
    ...(cutSize !== undefined ? { truncated: true as const, size: cutSize } : {}),
    id,
    tree: commit.tree,
    parents: commit.parents,
    author: person(commit.author),
    committer: person(commit.committer),
    title: commit.message.split('\n', 1)[0] ?? '',
    message: commit.message,
  };
}

/** A commit in a listing (branches, tags, tree entries): id, title and both idents. */
export interface CommitBrief {
  readonly id: ObjectId;
  readonly title: string;
  readonly author: PersonInfo;
  readonly committer: PersonInfo;
}

export async function commitBrief(reader: ObjectReader, id: ObjectId): Promise<CommitBrief> {
  const commit = await reader.commit(id);
  return {
    id,
    title: commit.message.split('\n', 1)[0] ?? '',
    author: person(commit.author),
    committer: person(commit.committer),
  };
}

export interface LogPage {
  readonly commits: readonly CommitDisplay[];
  /** True when more commits follow this page. */
  readonly hasMore: boolean;
}

/**
 * Commits reachable from `start`, newest committer date first (git log's default order), skipping
 * `offset` and returning up to `limit`. With `path`, only commits that changed it, following the
 * first parent that kept it unchanged through merges (git's default history simplification).
 */
export async function walkLog(
  reader: ObjectReader,
  start: ObjectId,
  options: { offset: number; limit: number; path: readonly string[] },
): Promise<LogPage> {
  const queue: Array<{ id: ObjectId; commit: Commit; time: number }> = [];
  const seen = new Set<ObjectId>();
  const push = async (id: ObjectId) => {
    if (seen.has(id)) return;
    seen.add(id);
    const commit = await reader.commit(id);
    queue.push({ id, commit, time: person(commit.committer).timestamp });
  };
  await push(start);
  const out: CommitDisplay[] = [];
  let skipped = 0;
  while (queue.length > 0) {
    queue.sort((a, b) => a.time - b.time);
    const next = queue.pop()!;
    const { include, follow } = await selectParents(reader, next.commit, options.path);
    for (const parent of follow) await push(parent);
    if (!include) continue;
    if (skipped < options.offset) {
      skipped++;
      continue;
    }
    if (out.length === options.limit) return { commits: out, hasMore: true };
    out.push(commitDisplay(next.id, next.commit, reader.cutCommitSize(next.id)));
  }
  return { commits: out, hasMore: false };
}

async function selectParents(
  reader: ObjectReader,
  commit: Commit,
  path: readonly string[],
): Promise<{ include: boolean; follow: readonly ObjectId[] }> {
  if (path.length === 0) return { include: true, follow: commit.parents };
  const mine = await idAtPath(reader, commit.tree, path);
  for (const parent of commit.parents) {
    const theirs = await idAtPath(reader, (await reader.commit(parent)).tree, path);
    if (theirs === mine) return { include: false, follow: [parent] };
  }
  return { include: mine !== undefined || commit.parents.length > 0, follow: commit.parents };
}
