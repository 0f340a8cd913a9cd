import type { ObjectId } from '../git/object-id.js';

/*
 * The review state of a merge request (what `Approvals.stateOf` computes and the review gates
 * read), as types only: merge-gates.ts, approvals.ts and code-owner-lookup.ts all name them.
 */

/** One rule's owners that must approve, and the changed paths it owns. */
export interface CodeOwnerRequirement {
  /** The file: `/projects/app:.github/CODEOWNERS`, or `/:projects/CODEOWNERS` for a directory level. */
  readonly source: string;
  readonly section: string;
  readonly optional: boolean;
  readonly pattern: string;
  readonly line: number;
  /** As written in the file: `@alice`, `@org/team`, `dev@example.com`. */
  readonly owners: readonly string[];
  /** The changed files it owns, as Mega paths (`/projects/app/src/main.c`). */
  readonly paths: readonly string[];
  /** The user names who can satisfy it (owners resolved: users, group members, e-mails). */
  readonly eligible: readonly string[];
}

/** One approval as shown: stale once the request was updated after it (it no longer counts). */
export interface ApprovalView {
  readonly username: string;
  readonly commit: ObjectId;
  readonly createdAt: string;
  readonly stale: boolean;
}

export interface CodeOwnerStatus extends CodeOwnerRequirement {
  /** Fresh approvals from eligible users. */
  readonly approvedBy: readonly string[];
  readonly satisfied: boolean;
}

export interface CheckStatus {
  readonly repoPath: string;
  readonly commit: ObjectId;
  readonly context: string;
  /** The latest posted state, or `missing` when none was posted for this commit. */
  readonly state: string;
  readonly required: boolean;
}

/** Everything review requires of one merge request, and what it has (computed, not stored). */
export interface ReviewState {
  readonly approvals: {
    readonly required: number;
    /** Users whose approval counts (of the current pushed commit). */
    readonly given: readonly string[];
    /** Users who approved an older push: shown, not counted, until they approve again. */
    readonly stale: readonly string[];
    readonly list: readonly ApprovalView[];
  };
  readonly codeOwners: readonly CodeOwnerStatus[];
  readonly checks: readonly CheckStatus[];
  readonly warnings: readonly string[];
}
