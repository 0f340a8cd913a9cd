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
 * One backfill or incremental poll of a link.
 * - Issues and comments: `since` the cursor (GitHub returns what changed at or after it), oldest
 *   first; each page is stored in its own transaction and moves the cursor, so a long backfill
 *   cut short by a rate limit resumes where it stopped. The answer's ETag is kept only when the
 *   listing was one page: then a 304 to the same request means nothing at all changed.
 * - Pull requests (a listing without `since`): newest-updated first until older than the cursor,
 *   each page stored as it comes; the cursor moves at the end. Newest-first puts any change on the
 *   first page, so its ETag covers the whole listing.
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
  // A poll that runs again is past any rate limit it met before (undefined is not stored).
  let state: Cursors = { ...cursors, rateLimitedUntil: undefined };
  const save = async (key: 'issues' | 'pulls' | 'comments', cursor: Cursor) => {
    state = { ...state, [key]: cursor };
    await storage.github.links.update(link.id, { cursors: JSON.stringify(state) });
  };

  const stored = { issues: 0, comments: 0 };
  /** A `since` listing, stored page by page by `store`, which returns the times it saw. */
  const sinceListing = async (
    key: 'issues' | 'comments',
    path: string,
    params: Record<string, string | number>,
    store: (page: unknown[]) => Promise<readonly string[]>,
  ): Promise<void> => {
    const sent = cursors[key]?.since;
    let newest = sent;
    const result = await client.list(
      path,
      { ...params, sort: 'updated', direction: 'asc', per_page: PER_PAGE, ...(sent ? { since: sent } : {}) },
      {
        ...etagOf(cursors[key], sent),
        onPage: async (page) => {
          const times = await store(page);
          newest = latest(newest, times);
          await save(key, newest ? { since: newest } : {});
        },
      },
    );
    if (result.notModified) {
      unchanged.push(key);
      await save(key, cursors[key] ?? {});
    } else if (result.pages === 1 && result.etag) {
      await save(key, {
        ...(newest ? { since: newest } : {}),
        etag: result.etag,
        ...(sent ? { etagFor: sent } : {}),
      });
    }
  };

  // Issues (the listing holds pull requests too; those come from the pulls listing).
  await sinceListing('issues', `${base}/issues`, { state: 'all' }, async (page) => {
    const listed = parseEach(page, (item) => parsePayload(IssueSchema, item, 'issue'));
    const issues = listed.filter((issue) => !issue.pull_request);
    await storage.transaction(async (scope) => {
      for (const issue of issues)
        await scope.github.issues.upsertIssue(issueValues(issue, repo), labelsOf(issue.labels));
    });
    stored.issues += issues.length;
    // The cursor follows the listing, pull requests included (those rows come from their own).
    return listed.map((issue) => issue.updated_at);
  });

  // Pull requests: newest updates first, stop past the cursor.
  const after = cursors.pulls?.since;
  let pullCount = 0;
  let newestPull = after;
  const pullList = await client.list(
    `${base}/pulls`,
    { state: 'all', sort: 'updated', direction: 'desc', per_page: PER_PAGE },
    {
      ...etagOf(cursors.pulls, undefined),
      stop: (page) => after !== undefined && page.some((item) => updatedBefore(item, after)),
      onPage: async (page) => {
        const pulls = parseEach(page, (item) => parsePayload(PullRequestSchema, item, 'pull request')).filter(
          (pull) => after === undefined || !isBefore(pull.updated_at, after),
        );
        await storage.transaction(async (scope) => {
          for (const pull of pulls)
            await scope.github.issues.upsertPullRequest(pullRequestValues(pull, repo), labelsOf(pull.labels));
        });
        pullCount += pulls.length;
        newestPull = latest(
          newestPull,
          pulls.map((pull) => pull.updated_at),
        );
      },
    },
  );
  if (pullList.notModified) unchanged.push('pulls');
  else
    await save('pulls', {
      ...(newestPull ? { since: newestPull } : {}),
      ...(pullList.etag ? { etag: pullList.etag } : {}),
    });

  // Comments of issues and pull requests, repository-wide.
  await sinceListing('comments', `${base}/issues/comments`, {}, async (page) => {
    const comments = parseEach(page, (item) => {
      const comment = parsePayload(CommentSchema, item, 'comment');
      return commentValues(comment, repo, commentNumber(comment));
    });
    await storage.transaction(async (scope) => {
      for (const comment of comments) await scope.github.issues.upsertComment(comment);
    });
    stored.comments += comments.length;
    return comments.map((comment) => comment.updated_at);
  });

  await storage.github.links.update(link.id, {
    cursors: JSON.stringify(state),
    lastSyncedAt: new Date().toISOString(),
    lastError: null,
  });
  return { issues: stored.issues, pulls: pullCount, comments: stored.comments, unchanged, skipped };
}

export function readCursors(text: string): Cursors {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Cursors) : {};
  } catch {
    return {};
  }
}

const etagOf = (cursor: Cursor | undefined, sent: string | undefined) =>
  cursor?.etag && cursor.etagFor === sent ? { etag: cursor.etag } : {};
const isBefore = (time: string, cursor: string) => Date.parse(time) < Date.parse(cursor);

function updatedBefore(item: unknown, cursor: string): boolean {
  const updated = (item as { updated_at?: unknown } | null)?.updated_at;
  return typeof updated === 'string' && isBefore(updated, cursor);
}

/** The newest of `current` and `times`, as ISO UTC. */
function latest(current: string | undefined, times: readonly string[]): string | undefined {
  return times.reduce<string | undefined>(
    (max, time) =>
      max === undefined || Date.parse(time) > Date.parse(max) ? new Date(time).toISOString() : max,
    current,
  );
}
