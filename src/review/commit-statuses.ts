import type { ReviewDeps } from './review-deps.js';

/** Commit statuses that CI systems post (GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}` shape) and the checks a merge request's head commits have. */
export class CommitStatuses {
  constructor(private readonly deps: ReviewDeps) {}
}
