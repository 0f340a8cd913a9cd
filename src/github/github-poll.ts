import { isMegaError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { GithubLinkRow } from '../storage/github/github-link-store.js';
import type { GithubClient } from './github-client.js';
import {
  CommentSchema,
  commentNumber,
  commentValues,
  IssueSchema,
  issueValues,
  labelsOf,
  parsePayload,
  PullRequestSchema,
  pullRequestValues,
  type RepositoryRef,
} from './github-payloads.js';
import type { GithubStorage } from './github-storage.js';

/** Where each listing resumes: the newest `updated_at` stored, and the ETag of its last answer. */
export interface Cursor {
  readonly since?: string;
  readonly etag?: string;
  /** The `since` sent with the request that answered `etag`: the ETag is only good for that request. */
  readonly etagFor?: string;
}
export interface Cursors {
  readonly issues?: Cursor;
  readonly pulls?: Cursor;
  readonly comments?: Cursor;
  /** Set when GitHub's rate limit stopped a poll: polls wait until then. */
  readonly rateLimitedUntil?: string;
}

export interface PollResult {
  readonly issues: number;
  readonly pulls: number;
  readonly comments: number;
  /** Listings GitHub answered 304 (nothing changed since their ETag). */
  readonly unchanged: readonly string[];
  /** Items refused as malformed (logged, not stored). */
  readonly skipped: number;
}

const PER_PAGE = 100;

/**
 * One backfill or incremental poll of a link: issues and comments with `since` (GitHub returns
 * what changed at or after it), pull requests until older than the cursor (that listing has no
 * `since`). Every listing is newest-updated first: a change always lands on the first page, so the
 * first page's ETag (a 304 means "nothing changed") covers the whole listing. Each listing's rows are written in one transaction,
 * and its cursor moves only after they are stored, so an interrupted poll resumes where it was.
 * Polls cannot see deletions; webhooks bring those.
 */
export async function pollLink(
  link: GithubLinkRow,
  client: GithubClient,
  storage: GithubStorage,
  logger: Logger,
): Promise<PollResult> {
  const cursors = readCursors(link.cursors);
  const repo: RepositoryRef = { id: link.repo_id, path: link.repo_path };
  const base = `/repos/${encodeURIComponent(link.owner)}/${encodeURIComponent(link.name)}`;
  const unchanged: string[] = [];
  let skipped = 0;
  const parseEach = <T>(items: unknown[], parse: (item: unknown) => T): T[] =>
    items.flatMap((item) => {
      try {
        return [parse(item)];
      } catch (error) {
        skipped += 1;
        logger.warn(
          { link: link.id, err: isMegaError(error) ? error.details : String(error) },
          'skipped a malformed GitHub item',
        );
        return [];
      }
    });
  const save = async (next: Cursors) =>
    storage.github.links.update(link.id, { cursors: JSON.stringify(next) });
  // A poll that runs again is past any rate limit it met before (undefined is not stored).
  let state: Cursors = { ...cursors, rateLimitedUntil: undefined };

  // Issues (the listing holds pull requests too; those come from the pulls listing).
  const issueList = await client.list(
    `${base}/issues`,
    { state: 'all', sort: 'updated', direction: 'desc', per_page: PER_PAGE, ...since(cursors.issues) },
    etagOf(cursors.issues, cursors.issues?.since),
  );
  const issues = parseEach(issueList.items, (item) => parsePayload(IssueSchema, item, 'issue')).filter(
    (issue) => !issue.pull_request,
  );
  if (issueList.notModified) unchanged.push('issues');
  await storage.transaction(async (scope) => {
    for (const issue of issues)
      await scope.github.issues.upsertIssue(issueValues(issue, repo), labelsOf(issue.labels));
  });
  state = {
    ...state,
    issues: advance(
      cursors.issues,
      cursors.issues?.since,
      issueList,
      issues.map((i) => i.updated_at),
    ),
  };
  await save(state);

  // Pull requests: newest updates first, stop past the cursor.
  const after = cursors.pulls?.since;
  const pullList = await client.list(
    `${base}/pulls`,
    { state: 'all', sort: 'updated', direction: 'desc', per_page: PER_PAGE },
    {
      ...etagOf(cursors.pulls, undefined),
      stop: (page) => after !== undefined && page.some((item) => updatedBefore(item, after)),
    },
  );
  const pulls = parseEach(pullList.items, (item) =>
    parsePayload(PullRequestSchema, item, 'pull request'),
  ).filter((pull) => after === undefined || !isBefore(pull.updated_at, after));
  if (pullList.notModified) unchanged.push('pulls');
  await storage.transaction(async (scope) => {
    for (const pull of pulls)
      await scope.github.issues.upsertPullRequest(pullRequestValues(pull, repo), labelsOf(pull.labels));
  });
  state = {
    ...state,
    pulls: advance(
      cursors.pulls,
      undefined,
      pullList,
      pulls.map((p) => p.updated_at),
    ),
  };
  await save(state);

  // Comments of issues and pull requests, repository-wide.
  const commentList = await client.list(
    `${base}/issues/comments`,
    { sort: 'updated', direction: 'desc', per_page: PER_PAGE, ...since(cursors.comments) },
    etagOf(cursors.comments, cursors.comments?.since),
  );
  const comments = parseEach(commentList.items, (item) => {
    const comment = parsePayload(CommentSchema, item, 'comment');
    return commentValues(comment, repo, commentNumber(comment));
  });
  if (commentList.notModified) unchanged.push('comments');
  await storage.transaction(async (scope) => {
    for (const comment of comments) await scope.github.issues.upsertComment(comment);
  });
  state = {
    ...state,
    comments: advance(
      cursors.comments,
      cursors.comments?.since,
      commentList,
      comments.map((c) => c.updated_at),
    ),
  };
  await storage.github.links.update(link.id, {
    cursors: JSON.stringify(state),
    lastSyncedAt: new Date().toISOString(),
    lastError: null,
  });
  return { issues: issues.length, pulls: pulls.length, comments: comments.length, unchanged, skipped };
}

export function readCursors(text: string): Cursors {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Cursors) : {};
  } catch {
    return {};
  }
}

const since = (cursor: Cursor | undefined): Record<string, string> =>
  cursor?.since ? { since: cursor.since } : {};
const etagOf = (cursor: Cursor | undefined, sent: string | undefined) =>
  cursor?.etag && cursor.etagFor === sent ? { etag: cursor.etag } : {};
const isBefore = (time: string, cursor: string) => Date.parse(time) < Date.parse(cursor);

function updatedBefore(item: unknown, cursor: string): boolean {
  const updated = (item as { updated_at?: unknown } | null)?.updated_at;
  return typeof updated === 'string' && isBefore(updated, cursor);
}

/** The cursor after a listing: the newest time seen (or the old one), and the answer's ETag. */
function advance(
  previous: Cursor | undefined,
  sent: string | undefined,
  result: { notModified: boolean; etag?: string },
  times: readonly string[],
): Cursor {
  if (result.notModified) return previous ?? {};
  const newest = times.reduce<string | undefined>(
    (max, time) =>
      max === undefined || Date.parse(time) > Date.parse(max) ? new Date(time).toISOString() : max,
    previous?.since,
  );
  return {
    ...(newest ? { since: newest } : {}),
    ...(result.etag ? { etag: result.etag, ...(sent ? { etagFor: sent } : {}) } : {}),
  };
}
