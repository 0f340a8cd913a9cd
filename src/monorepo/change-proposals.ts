import type { ObjectId } from '../git/object-id.js';

/**
 * The seam between a push to a directory view and merge requests (`src/review` implements it):
 * the monorepo area maps the pushed commit onto each repository it touches and hands over one
 * proposal; review opens a merge request, updates the open one the push descends from, or (with
 * `replace`) replaces one's change (see `src/review/proposals.ts`).
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
  /** `-o mr.title`, else the subject of the change's first non-merge commit. */
  readonly title: string;
  /** `-o mr.description`, else the commits' bodies or subjects (see `defaultDescription`). */
  readonly description: string;
  /** Whether the title / description came from push options (an update keeps the old ones otherwise). */
  readonly titleGiven: boolean;
  readonly descriptionGiven: boolean;
  /** `-o mr.target`: the branch merged into in every touched repository (undefined = default). */
  readonly targetBranch?: string;
  /** `-o mr.replace`: replace the change of an open merge request the push does not descend from. */
  readonly replace: boolean;
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
  /** What happened: a new request, new commits on one, its change replaced, or nothing new. */
  readonly action: 'opened' | 'updated' | 'replaced' | 'unchanged';
}

export interface ChangeProposals {
  propose(change: ProposedChange): Promise<ProposalOutcome>;
}
