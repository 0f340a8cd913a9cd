import type { ObjectId } from '../git/object-id.js';
import type { ReviewDeps } from './review-deps.js';

/** GitHub's commit status states. */
export const STATUS_STATES = ['pending', 'success', 'failure', 'error'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

/** The latest status of one context on one commit of one repository. */
export interface CommitStatusRecord {
  readonly repoPath: string;
  readonly commit: ObjectId;
  readonly context: string;
  readonly state: StatusState;
  readonly targetUrl?: string;
  readonly description?: string;
  readonly creator: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Commit statuses that CI systems post (GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}`
 * shape) and the checks a merge request's head commits have.
 */
export class CommitStatuses {
  constructor(private readonly deps: ReviewDeps) {}

  /** The latest status per context of `commit` in `repoPath` (sorted by context). */
  async latest(repoPath: string, commit: ObjectId): Promise<CommitStatusRecord[]> {
    void repoPath;
    void commit;
    void this.deps;
    throw new Error('CommitStatuses.latest: implemented by the checks work of issue 22');
  }
}
