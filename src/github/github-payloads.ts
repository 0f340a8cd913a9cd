import { z } from 'zod';
import { invalid } from '../platform/errors.js';
import type {
  CommentValues,
  IssueValues,
  LabelValue,
  PullRequestValues,
} from '../storage/github/github-issue-store.js';

/**
 * The parts of GitHub's REST and webhook objects we keep, validated: the same shapes arrive from
 * `GET /repos/{o}/{r}/issues` and from an `issues` webhook. Unknown fields are dropped, missing or
 * mistyped ones refuse the payload (`github_payload_invalid`) instead of storing half a row.
 */
const Time = z.iso.datetime({ offset: true });
const Text = z.string().max(1_000_000);
// GitHub sends `null` for deleted accounts ("ghost").
const User = z.object({ login: z.string().max(255), id: z.number().int().nonnegative() }).nullable();
const Label = z.union([
  z.object({ name: z.string().max(255), color: z.string().max(16).nullish() }),
  z.string().max(255),
]);

export const IssueSchema = z.object({
  number: z.number().int().positive(),
  title: Text,
  // Some recorded events (`pinned`, `unpinned`) leave it out: then `closed_at` tells.
  state: z.enum(['open', 'closed']).optional(),
  user: User,
  body: Text.nullish(),
  html_url: z.string().max(2048),
  created_at: Time,
  updated_at: Time,
  closed_at: Time.nullish(),
  labels: z.array(Label).max(1000).optional(),
  /** Present when the "issue" is a pull request (the issues API lists both). */
  pull_request: z.object({}).passthrough().optional(),
});

const Branch = z.object({ label: z.string().max(512), ref: z.string().max(512), sha: z.string().max(64) });

export const PullRequestSchema = z.object({
  number: z.number().int().positive(),
  title: Text,
  state: z.enum(['open', 'closed']),
  user: User,
  body: Text.nullish(),
  html_url: z.string().max(2048),
  created_at: Time,
  updated_at: Time,
  closed_at: Time.nullish(),
  merged_at: Time.nullish(),
  merge_commit_sha: z.string().max(200).nullish(),
  commits_url: z.string().max(2048),
  patch_url: z.string().max(2048),
  head: Branch,
  base: Branch,
  draft: z.boolean().optional(),
  labels: z.array(Label).max(1000).optional(),
});

export const CommentSchema = z.object({
  id: z.number().int().positive(),
  user: User,
  body: Text.nullish(),
  html_url: z.string().max(2048).nullish(),
  issue_url: z.string().max(2048),
  created_at: Time,
  updated_at: Time,
});

export const RepositorySchema = z.object({
  name: z.string().max(100),
  full_name: z.string().max(201),
  html_url: z.string().max(2048),
  owner: z.object({ login: z.string().max(100) }),
});

export type GithubIssue = z.infer<typeof IssueSchema>;
export type GithubPullRequest = z.infer<typeof PullRequestSchema>;
export type GithubComment = z.infer<typeof CommentSchema>;
export type GithubUser = z.infer<typeof User>;
export type GithubRepository = z.infer<typeof RepositorySchema>;

export const WebhookEnvelope = z.object({
  action: z.string().max(64).optional(),
  sender: User.optional(),
  repository: RepositorySchema.optional(),
});

/** Parses `value` with `schema`, or throws `github_payload_invalid` naming the first problem. */
export function parsePayload<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw invalid('github_payload_invalid', `malformed GitHub ${what}`, {
    path: issue?.path.join('.') ?? '',
    problem: issue?.message ?? 'invalid',
  });
}

/** Where rows go: the linked /import repository. */
export interface RepositoryRef {
  readonly id: number;
  readonly path: string;
}

// The seed's varchar(255) columns: cut by code points, never inside a surrogate pair.
const cut = (text: string, max = 255) => (text.length <= max ? text : [...text].slice(0, max).join(''));
const time = (value: string) => new Date(value).toISOString();
const optionalTime = (value: string | null | undefined) => (value ? time(value) : null);
const login = (user: GithubUser) => cut(user?.login ?? 'ghost');
const userId = (user: GithubUser) => user?.id ?? 0;

export function labelsOf(labels: GithubIssue['labels']): LabelValue[] | undefined {
  return labels?.map((label) =>
    typeof label === 'string'
      ? { name: label, color: null }
      : { name: label.name, color: label.color ?? null },
  );
}

/**
 * An issue as the seed's row: `sender_*` is who caused the event (a webhook's `sender`); a poll
 * has no event, so it names the author, as GitHub's issue `user` does.
 */
export function issueValues(issue: GithubIssue, repo: RepositoryRef, sender?: GithubUser): IssueValues {
  const actor = sender === undefined ? issue.user : sender;
  return {
    repo_id: repo.id,
    repo_path: repo.path,
    number: issue.number,
    title: cut(issue.title),
    state: issue.state ?? (issue.closed_at ? 'closed' : 'open'),
    sender_name: login(actor),
    sender_id: userId(actor),
    user_name: login(issue.user),
    user_id: userId(issue.user),
    body: issue.body ?? null,
    html_url: cut(issue.html_url, 512),
    created_at: time(issue.created_at),
    updated_at: time(issue.updated_at),
    closed_at: optionalTime(issue.closed_at),
  };
}

export function pullRequestValues(
  pull: GithubPullRequest,
  repo: RepositoryRef,
  sender?: GithubUser,
): PullRequestValues {
  const actor = sender === undefined ? pull.user : sender;
  return {
    repo_id: repo.id,
    repo_path: repo.path,
    number: pull.number,
    title: cut(pull.title),
    state: pull.state,
    created_at: time(pull.created_at),
    updated_at: time(pull.updated_at),
    closed_at: optionalTime(pull.closed_at),
    merged_at: optionalTime(pull.merged_at),
    merge_commit_sha: pull.merge_commit_sha ?? null,
    sender_name: login(actor),
    sender_id: userId(actor),
    user_name: login(pull.user),
    user_id: userId(pull.user),
    commits_url: cut(pull.commits_url),
    patch_url: cut(pull.patch_url),
    head_label: cut(pull.head.label),
    head_ref: cut(pull.head.ref),
    base_label: cut(pull.base.label),
    base_ref: cut(pull.base.ref),
    body: pull.body ?? null,
    html_url: cut(pull.html_url, 512),
    head_sha: /^[0-9a-f]{40,64}$/.test(pull.head.sha) ? pull.head.sha : null,
    base_sha: /^[0-9a-f]{40,64}$/.test(pull.base.sha) ? pull.base.sha : null,
    draft: pull.draft ? 1 : 0,
  };
}

/** The number of the issue or pull request a comment belongs to (from its `issue_url`). */
export function commentNumber(comment: GithubComment): number {
  const match = /\/issues\/(\d{1,18})$/.exec(comment.issue_url);
  if (!match) throw invalid('github_payload_invalid', 'a comment without its issue number');
  return Number(match[1]);
}

export function commentValues(comment: GithubComment, repo: RepositoryRef, number: number): CommentValues {
  return {
    repo_id: repo.id,
    number,
    comment_id: comment.id,
    user_name: login(comment.user),
    user_id: userId(comment.user),
    body: comment.body ?? null,
    html_url: comment.html_url ? cut(comment.html_url, 512) : null,
    created_at: time(comment.created_at),
    updated_at: time(comment.updated_at),
  };
}
