import type {
  GithubCommentRow,
  IssueRow,
  LabelValue,
  PullRequestRow,
} from '../storage/github/github-issue-store.js';
import type { GithubLinkRow } from '../storage/github/github-link-store.js';
import { readCursors } from './github-poll.js';
import { repositoryWebUrl } from './github-location.js';

/** Links, issues, pull requests and comments as REST and the CLI show them (camelCase JSON, like the rest of the API). */
export interface LinkView {
  readonly repo: string;
  /** `owner/name` */
  readonly repository: string;
  readonly htmlUrl: string;
  readonly apiUrl: string;
  readonly credentialId: number | null;
  readonly source: 'manual' | 'sync';
  readonly syncRepositoryId: number | null;
  /** Whether webhooks can be verified (a secret is stored; never shown again). */
  readonly webhookSecretSet: boolean;
  readonly lastSyncedAt: string | null;
  readonly lastError: string | null;
  readonly rateLimitedUntil: string | null;
  readonly createdAt: string;
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
  readonly htmlUrl: string | null;
  readonly labels: readonly LabelValue[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
}

export interface PullRequestView extends IssueView {
  readonly mergedAt: string | null;
  readonly mergeCommitSha: string | null;
  readonly draft: boolean;
  readonly head: { readonly label: string; readonly ref: string; readonly sha: string | null };
  readonly base: { readonly label: string; readonly ref: string; readonly sha: string | null };
  readonly commitsUrl: string;
  readonly patchUrl: string;
}

export interface CommentView {
  readonly id: number;
  readonly user: PersonView;
  readonly body: string | null;
  readonly htmlUrl: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function linkView(row: GithubLinkRow): LinkView {
  return {
    repo: row.repo_path,
    repository: `${row.owner}/${row.name}`,
    htmlUrl: repositoryWebUrl({ webUrl: row.web_url, owner: row.owner, name: row.name }),
    apiUrl: row.api_url,
    credentialId: row.credential_id === null ? null : Number(row.credential_id),
    source: row.source,
    syncRepositoryId: row.sync_repository_id === null ? null : Number(row.sync_repository_id),
    webhookSecretSet: row.webhook_secret_sealed !== null,
    lastSyncedAt: row.last_synced_at,
    lastError: row.last_error,
    rateLimitedUntil: readCursors(row.cursors).rateLimitedUntil ?? null,
    createdAt: row.created_at,
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
    htmlUrl: row.html_url,
    labels,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
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
    htmlUrl: row.html_url,
    labels,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    mergedAt: row.merged_at,
    mergeCommitSha: row.merge_commit_sha,
    draft: Number(row.draft) === 1,
    head: { label: row.head_label, ref: row.head_ref, sha: row.head_sha },
    base: { label: row.base_label, ref: row.base_ref, sha: row.base_sha },
    commitsUrl: row.commits_url,
    patchUrl: row.patch_url,
  };
}

export function commentView(row: GithubCommentRow): CommentView {
  return {
    id: Number(row.comment_id),
    user: { login: row.user_name, id: Number(row.user_id) },
    body: row.body,
    htmlUrl: row.html_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
