import type { ReviewDeps } from './review-deps.js';

/** Approvals, the per-path review rules (required approvals and check contexts) and CODEOWNERS: who must approve a merge request before it merges. */
export class Approvals {
  constructor(private readonly deps: ReviewDeps) {}
}
