import type { Generated } from 'kysely';

/** Row types of the tables added by `migrations/0012-review.ts` (see the reasons there). */
export interface MergeRequestReviewColumns {
  description: string | null;
  target_branch: string | null;
  /** `unknown`, `clean` or `conflict`; null before it was first computed. */
  mergeable: string | null;
  /** JSON: `{ conflicts: [{repository, path}], targets: {repoPath: head} }`. */
  mergeable_detail: string | null;
  mergeable_at: string | null;
}

export interface MrCommentsTable {
  id: Generated<number>;
  mr_id: number;
  /** The thread's first comment; null for a comment that starts a thread. */
  thread_id: number | null;
  repo_path: string | null;
  file_path: string | null;
  /** `old` or `new` (which side of the diff `line` counts on). */
  side: string | null;
  line: number | null;
  commit_id: string | null;
  body: string;
  author: string;
  author_id: number | null;
  /** 0/1, on a thread's first comment. */
  resolved: Generated<number>;
  resolved_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface MrApprovalsTable {
  id: Generated<number>;
  mr_id: number;
  user_id: number;
  username: string;
  commit_id: string;
  created_at: string;
}

export interface ReviewRulesTable {
  path: string;
  required_approvals: number | null;
  /** JSON array of check contexts, or null to inherit. */
  required_checks: string | null;
  updated_at: string;
}

export interface CommitStatusesTable {
  id: Generated<number>;
  repo_path: string;
  commit_id: string;
  context: string;
  /** `pending`, `success`, `failure` or `error` (GitHub's states). */
  state: string;
  target_url: string | null;
  description: string | null;
  creator: string;
  created_at: string;
  updated_at: string;
}

export interface WebhooksTable {
  id: Generated<number>;
  path: string;
  url: string;
  /** The HMAC secret, sealed with the installation's key. */
  secret: string;
  /** Comma list: `push`, `merge_request`, `comment`, `approval`, `status`. */
  events: string;
  active: Generated<number>;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  delivery_id: string;
  event: string;
  payload: string;
  /** `pending`, `delivered` or `failed` (gave up). */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: string | null;
  claimed_until: string | null;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  duration_ms: number | null;
  created_at: string;
  finished_at: string | null;
}

export interface ReviewTables {
  /** Intersected with the core row type: adds the 0012 columns. */
  merge_request: MergeRequestReviewColumns;
  mr_comments: MrCommentsTable;
  mr_approvals: MrApprovalsTable;
  review_rules: ReviewRulesTable;
  commit_statuses: CommitStatusesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
