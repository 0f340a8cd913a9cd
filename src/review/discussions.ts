import type { ReviewDeps } from './review-deps.js';

/** Discussions on merge requests: comments on the request and on diff lines (repository, file, side, line), replies, resolve and unresolve; each is a timeline entry and a review event. */
export class Discussions {
  constructor(private readonly deps: ReviewDeps) {}
}
