import { Approvals } from './approvals.js';
import { CommitStatuses } from './commit-statuses.js';
import { Discussions } from './discussions.js';
import { MergeRequests } from './merge-requests.js';
import type { ReviewDeps } from './review-deps.js';
import { ReviewEvents } from './review-events.js';
import { Webhooks } from './webhooks.js';

/** Every service of the review area, over one `ReviewDeps` (one event fan-out). */
export interface ReviewServices {
  readonly events: ReviewEvents;
  readonly mergeRequests: MergeRequests;
  readonly discussions: Discussions;
  readonly approvals: Approvals;
  readonly statuses: CommitStatuses;
  readonly webhooks: Webhooks;
}

/**
 * Builds the review services. Nothing here runs in the background: the webhook deliverer is
 * started by the server process (`buildApp`), which also closes it.
 */
export function buildReviewServices(
  deps: Omit<ReviewDeps, 'events'> & { events?: ReviewEvents },
): ReviewServices {
  const full: ReviewDeps = { ...deps, events: deps.events ?? new ReviewEvents() };
  const mergeRequests = new MergeRequests(full);
  mergeRequests.mergeability.subscribe();
  return {
    events: full.events,
    mergeRequests,
    discussions: new Discussions(full),
    approvals: new Approvals(full),
    statuses: new CommitStatuses(full),
    webhooks: new Webhooks(full),
  };
}
