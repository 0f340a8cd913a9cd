import type { ReviewDeps } from './review-deps.js';

/** Webhooks for push and merge request events: subscriptions per path, HMAC-SHA256 signed deliveries from a durable queue with retries and backoff, and the delivery log. */
export class Webhooks {
  constructor(private readonly deps: ReviewDeps) {}
}
