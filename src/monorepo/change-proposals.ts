import type { ObjectId } from '../git/object-id.js';

/**
 * The seam between a push to a directory view and merge requests (`src/review` implements it):
 * the monorepo area maps the pushed commit onto each repository it touches and hands over one
 * proposal; review opens a merge request or updates the open one of the same push branch.
 */
export interface RepositoryChange {
  readonly repoPath: string;
  /** The repository head the view showed (the proposal's base). */
  readonly baseCommit: ObjectId;
  /** The proposed commit on top of `baseCommit`. */
  readonly headCommit: ObjectId;
}

export interface ProposedChange {
  readonly viewPath: string;
  readonly refName: string;
  readonly pushedCommit: ObjectId;
  readonly baseViewCommit: ObjectId;
  readonly title: string;
  readonly author: string;
  readonly authorId: number;
  readonly changes: readonly RepositoryChange[];
  /** Base URL the pusher reached the server at, for the merge request's link. */
  readonly baseUrl?: string;
}

export interface ProposalOutcome {
  readonly number: number;
  readonly url: string;
  readonly updated: boolean;
}

export interface ChangeProposals {
  propose(change: ProposedChange): Promise<ProposalOutcome>;
}
