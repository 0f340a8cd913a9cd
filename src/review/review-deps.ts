import type { DeploymentSecret } from '../platform/deployment-secret.js';
import type { MonorepoDeps } from '../monorepo/ports.js';
import type { Storage } from '../storage/storage.js';
import type { MergeGate } from './merge-gates.js';
import type { ReviewEvents } from './review-events.js';

/** What every service of the review area is built from (`buildReviewServices`). */
export interface ReviewDeps {
  readonly storage: Storage;
  readonly monorepo: MonorepoDeps;
  /** Base URL of the server as clients reach it (links in `remote:` messages, webhooks, the CLI). */
  readonly baseUrl: () => string;
  /** Clock in seconds (merge commit times); injectable for tests. */
  readonly now?: () => number;
  /** Conditions every merge passes, in order (default: permissions first, then the review gates). */
  readonly gates?: readonly MergeGate[];
  /** Where review events are published after they are committed (webhooks, mergeability). */
  readonly events: ReviewEvents;
  /** Seals and opens webhook secrets; absent in one-shot commands (they cannot manage webhooks). */
  readonly secret?: DeploymentSecret;
}
