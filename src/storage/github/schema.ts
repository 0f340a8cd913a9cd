import type { Generated } from 'kysely';

/**
 * Row types of the tables created by `migrations/0015-github.ts` (the seed's `issue` and
 * `pull_request` are core tables, `schema.ts`).
 */
export type GithubLinkSource = 'manual' | 'sync';

export interface GithubLinksTable {
  id: Generated<number>;
  repo_id: number;
  repo_path: string;
  /** REST base: `https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise Server. */
  api_url: string;
  /** Where people browse it: `https://github.com` or `https://HOST`. */
  web_url: string;
  owner: string;
  name: string;
  /** A `sync_credentials` row (token or password) whose secret is the API token; null: anonymous. */
  credential_id: number | null;
  /** The webhook secret, sealed like sync credentials (`github_links:<id>` as associated data). */
  webhook_secret_sealed: string | null;
  source: GithubLinkSource;
  /** The sync repository that made the link (`source = 'sync'`). */
  sync_repository_id: number | null;
  /** JSON `{ issues?, pulls?, comments? }`, each `{ since?, etag? }`: where the next poll resumes. */
  cursors: string;
  last_synced_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface GithubDeliveriesTable {
  id: Generated<number>;
  /** `X-GitHub-Delivery`, unique: the second arrival of one delivery is not processed. */
  delivery_id: string;
  event: string;
  action: string | null;
  repo_id: number | null;
  /** `stored` (rows written) or `ignored` (an event or repository we do not keep). */
  outcome: string;
  received_at: string;
}

export interface GithubCommentsTable {
  id: Generated<number>;
  repo_id: number;
  /** The or pull request's number. */
  number: number;
  /** GitHub's comment id. */
  comment_id: number;
  user_name: string;
  user_id: number;
  body: string | null;
  html_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface GithubLabelsTable {
  id: Generated<number>;
  repo_id: number;
  number: number;
  name: string;
  color: string | null;
}

export interface GithubTables {
  github_links: GithubLinksTable;
  github_deliveries: GithubDeliveriesTable;
  github_comments: GithubCommentsTable;
  github_labels: GithubLabelsTable;
}
