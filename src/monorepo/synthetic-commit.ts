import { serializeCommit, type Commit } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';

/**
 * Synthetic commits of directory views (SPEC §6). Their ids must be the same on every server and
 * at every request for the same inputs, so nothing here reads a clock or a random source: the
 * identity and time come from the source commit (a repository view keeps its head's author,
 * committer and message) or from the newest source commit (an expanded directory view).
 *
 * History design: a view path has a chain of synthetic commits, recorded in `mega_view_commit`.
 * The first commit of a path has no parent ("1 commit", seed §4). When the view's tree changes,
 * the next commit has the previous chain tip as its only parent, so a client that cloned or
 * pulled earlier fast-forwards (`git pull` works) and fetches only what changed. Two servers
 * computing the same step produce byte-identical commits; the chain table's unique
 * (view path, parent) key makes a race with different results retry on the winner's tip.
 * When a merge request pushed to the same path and based on the tip has been merged and the new
 * tree is exactly its tree, the pushed commit itself becomes the next step (it descends from the
 * tip), so the pusher's own clone fast-forwards too instead of diverging. Otherwise, when merged
 * requests pushed to the path are not contained in the tip yet (merged back to back, each based
 * on an older step), the next step is a merge commit with the tip and those pushed commits as
 * parents (oldest request first): every pusher's clone fast-forwards after their own merge. See
 * `DirectoryViews.pendingMergedPushes` and README.md "Synthetic history".
 *
 * Permissions: a view is computed for a reader and leaves out what they may not read; the chain
 * is then keyed by the view path and the set of paths left out, so equal permission sets share
 * commits and readers of everything keep the unfiltered chain. A new filtered chain starts on the
 * tip of one that hid more (so a grant fast-forwards); see `README.md` "What a reader may not read".
 */
export const MEGA_IDENT_NAME = 'Mega';
export const MEGA_IDENT_EMAIL = 'mega@mega.local';

export interface ViewCommitInput {
  readonly tree: ObjectId;
  readonly parent?: ObjectId;
  /** All parents, for merge commits (takes precedence over `parent`). */
  readonly parents?: readonly ObjectId[];
  readonly author: string;
  readonly committer: string;
  readonly message: string;
}

/** The commit bytes of a view step. */
export function buildViewCommit(input: ViewCommitInput): Buffer {
  const commit: Commit = {
    tree: input.tree,
    parents: input.parents ?? (input.parent ? [input.parent] : []),
    author: input.author,
    committer: input.committer,
    extraHeaders: [],
    message: input.message,
  };
  return serializeCommit(commit);
}

/** `Mega <mega@mega.local> <time> +0000`: the identity of directory views and merges. */
export function megaIdent(timestamp: number): string {
  return `${MEGA_IDENT_NAME} <${MEGA_IDENT_EMAIL}> ${Math.max(0, Math.floor(timestamp))} +0000`;
}

/**
 * Message of an expanded directory view: which directory version and repository heads it shows.
 * A view filtered for a reader passes no directory commit (it would change with hidden paths).
 */
export function directoryViewMessage(
  viewPath: string,
  directoryCommit: ObjectId | undefined,
  sources: ReadonlyArray<{ readonly repoPath: string; readonly commit: ObjectId }>,
): string {
  const lines = [
    ...(directoryCommit ? [`directory ${directoryCommit}`] : []),
    ...sources.map((source) => `${source.repoPath} ${source.commit}`),
  ];
  return `Mega directory ${viewPath}\n\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
