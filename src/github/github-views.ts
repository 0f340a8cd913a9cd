import type {
  GithubCommentRow,
  IssueRow,
  LabelValue,
  PullRequestRow,
} from '../storage/github/github-issue-store.js';
import type { GithubLinkRow } from '../storage/github/github-link-store.js';
import { readCursors } from './github-poll.js';
import { repositoryWebUrl } from './github-location.js';

/** Links, issues, pull requests and comments as REST and the CLI show them (snake_case JSON). */
export interface LinkView {
  readonly repo: string;
  /** `owner/name` */
  readonly repository: string;
  readonly html_url: string;
  readonly api_url: string;
  readonly credential_id: number | null;
  readonly source: 'manual' | 'sync';
  readonly sync_repository_id: number | null;
  /** Whether webhooks can be verified (a secret is stored; never shown again). */
  readonly webhook_secret_set: boolean;
  readonly last_synced_at: string | null;
  readonly last_error: string | null;
  readonly rate_limited_until: string | null;
  readonly created_at: string;
}

export interface PersonView {
  readonly login: string;
  readonly id: number;
}

export interface IssueView {
  readonly number: number;
  readonly title: string;
  readonly state: string;
  readonly user: PersonView | null;
  /** Who caused the last event GitHub told us about (the seed's `sender_*`). */
  readonly sender: PersonView;
  readonly body: string | null;
  readonly html_url: string | null;
  readonly labels: readonly LabelValue[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly closed_at: string | null;
}

export interface PullRequestView extends IssueView {
  readonly merged_at: string | null;
  readonly merge_commit_sha: string | null;
  readonly draft: boolean;
  readonly head: { readonly label: string; readonly ref: string; readonly sha: string | null };
  readonly base: { readonly label: string; readonly ref: string; readonly sha: string | null };
  readonly commits_url: string;
  readonly patch_url: string;
}

export interface CommentView {
  readonly id: number;
  readonly user: PersonView;
  readonly body: string | null;
  readonly html_url: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export function linkView(row: GithubLinkRow): LinkView {
  return {
    repo: row.repo_path,
    repository: `${row.owner}/${row.name}`,
    html_url: repositoryWebUrl({ webUrl: row.web_url, owner: row.owner, name: row.name }),
    api_url: row.api_url,
    credential_id: row.credential_id === null ? null : Number(row.credential_id),
    source: row.source,
    sync_repository_id: row.sync_repository_id === null ? null : Number(row.sync_repository_id),
    webhook_secret_set: row.webhook_secret_sealed !== null,
    last_synced_at: row.last_synced_at,
    last_error: row.last_error,
    rate_limited_until: readCursors(row.cursors).rateLimitedUntil ?? null,
    created_at: row.created_at,
  };
}

export function issueView(row: IssueRow, labels: readonly LabelValue[]): IssueView {
  return {
    number: Number(row.number),
    title: row.title,
    state: row.state,
    user: row.user_name === null ? null : { login: row.user_name, id: Number(row.user_id ?? 0) },
    sender: { login: row.sender_name, id: Number(row.sender_id) },
    body: row.body,
    html_url: row.html_url,
    labels,
    created_at: row.created_at,
    updated_at: row.updated_at,
    closed_at: row.closed_at,
  };
}

export function pullRequestView(row: PullRequestRow, labels: readonly LabelValue[]): PullRequestView {
  return {
    number: Number(row.number),
    title: row.title,
    state: row.state,
    user: { login: row.user_name, id: Number(row.user_id) },
    sender: { login: row.sender_name, id: Number(row.sender_id) },
    body: row.body,
    html_url: row.html_url,
    labels,
    created_at: row.created_at,
    updated_at: row.updated_at,
    closed_at: row.closed_at,
    merged_at: row.merged_at,
    merge_commit_sha: row.merge_commit_sha,
    draft: Number(row.draft) === 1,
    head: { label: row.head_label, ref: row.head_ref, sha: row.head_sha },
    base: { label: row.base_label, ref: row.base_ref, sha: row.base_sha },
    commits_url: row.commits_url,
    patch_url: row.patch_url,
  };
}

export function commentView(row: GithubCommentRow): CommentView {
  return {
    id: Number(row.comment_id),
    user: { login: row.user_name, id: Number(row.user_id) },
    body: row.body,
    html_url: row.html_url,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
