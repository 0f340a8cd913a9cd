import type { Octokit } from '@octokit/rest';
import { MegaError, unavailable } from '../platform/errors.js';

/**
 * Lists of the GitHub REST API through `@octokit/rest`: every page (the `Link: rel="next"` URLs),
 * a conditional first request (`If-None-Match` with the ETag of the last answer: a 304 costs no
 * rate limit and means nothing changed), and GitHub's rate limits honoured. A 403/429 with
 * `retry-after`, or with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`, waits that long and
 * tries again (at most `maxWaitMs` per wait, 3 times); longer waits end the poll with
 * `github_rate_limited` whose `retryAt` the poller keeps. The token never leaves the headers.
 */
export interface GithubClientOptions {
  readonly apiUrl: string;
  readonly token?: string;
  /** Tests pass a fetch bound to the fake API; default: the global fetch. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest single wait for a rate limit before giving up until the next poll (default 60 s). */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

export interface ListOptions {
  /** ETag of the previous answer to the same first page. */
  readonly etag?: string;
  /** Stop paging once this returns true for a page (e.g. items older than the cursor). */
  readonly stop?: (page: readonly unknown[]) => boolean;
  /**
   * Called with each page before the next is fetched (the pages are then not collected): a
   * long backfill stores and moves its cursor page by page, so a rate limit or failure half-way
   * loses nothing already fetched.
   */
  readonly onPage?: (page: unknown[]) => Promise<void>;
  readonly maxPages?: number;
}

export interface ListResult {
  /** 304: nothing changed since `etag`. */
  readonly notModified: boolean;
  readonly items: unknown[];
  /** ETag of the first page, for the next poll. */
  readonly etag?: string;
  readonly pages: number;
}

const RETRIES = 3;
// A bound against a server that links pages forever; 100 items each: ten million items.
const DEFAULT_MAX_PAGES = 100_000;

export class GithubClient {
  /** Made at the first request: a server that never talks to GitHub never loads Octokit. */
  private octokit: Promise<Octokit> | undefined;
  private readonly options: GithubClientOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(options: GithubClientOptions) {
    this.options = options;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  private client(): Promise<Octokit> {
    this.octokit ??= import('@octokit/rest').then(({ Octokit }) => {
      const options = this.options;
      return new Octokit({
        baseUrl: options.apiUrl,
        ...(options.token ? { auth: options.token } : {}),
        userAgent: 'mega-github-sync',
        request: { ...(options.fetch ? { fetch: options.fetch } : {}), redirect: 'follow' },
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      });
    });
    return this.octokit;
  }

  /** `GET path?params`, every page; `path` like `/repos/{owner}/{repo}/issues` already filled in. */
  async list(
    path: string,
    params: Record<string, string | number>,
    options: ListOptions = {},
  ): Promise<ListResult> {
    const first = await this.get(path, params, options.etag);
    if (first.status === 304)
      return { notModified: true, items: [], ...(options.etag ? { etag: options.etag } : {}), pages: 0 };
    const items: unknown[] = [];
    let response = first;
    let pages = 0;
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    for (;;) {
      pages += 1;
      const page = Array.isArray(response.data) ? (response.data as unknown[]) : [];
      if (options.onPage) await options.onPage(page);
      else for (const item of page) items.push(item);
      const next = nextLink(response.headers.link);
      if (!next || pages >= maxPages || options.stop?.(page)) break;
      response = await this.get(next, {});
    }
    const etag = first.headers.etag;
    return { notModified: false, items, ...(etag ? { etag } : {}), pages };
  }

  private async get(
    url: string,
    params: Record<string, string | number>,
    etag?: string,
  ): Promise<{ status: number; data: unknown; headers: Record<string, string | undefined> }> {
    const octokit = await this.client();
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await octokit.request(`GET ${url}`, {
          ...params,
          headers: etag ? { 'if-none-match': etag } : {},
        });
        return {
          status: response.status,
          data: response.data,
          headers: response.headers as Record<string, string>,
        };
      } catch (error) {
        const failure = error as { status?: number; response?: { headers?: Record<string, string> } };
        if (failure.status === 304) return { status: 304, data: [], headers: {} };
        const headers = failure.response?.headers ?? {};
        if (failure.status === 403 || failure.status === 429) {
          const waitMs = rateLimitWait(headers, this.now());
          if (waitMs !== undefined) {
            if (waitMs > this.maxWaitMs || attempt >= RETRIES) {
              throw new MegaError('rate_limited', 'github_rate_limited', 'GitHub rate limit reached', {
                retryAt: new Date(this.now() + waitMs).toISOString(),
              });
            }
            await this.sleep(waitMs);
            continue;
          }
        }
        if (typeof failure.status === 'number' && failure.status >= 400) {
          throw new MegaError(
            failure.status >= 500 ? 'unavailable' : 'invalid',
            'github_api_error',
            `GitHub answered ${failure.status}`,
            { status: failure.status },
          );
        }
        throw unavailable('github_api_unreachable', 'GitHub could not be reached', {
          reason: error instanceof Error ? error.message.slice(0, 200) : String(error),
        });
      }
    }
  }
}

/** How long a rate-limited answer asks us to wait, or undefined when it is not a rate limit. */
export function rateLimitWait(headers: Record<string, string | undefined>, now: number): number | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && /^\d{1,6}$/.test(retryAfter)) return Number(retryAfter) * 1000;
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    // GitHub's advice for a secondary limit without a reset: wait at least a minute.
    return Number.isFinite(reset) && reset > 0 ? Math.max(1000, reset * 1000 - now) : 60_000;
  }
  return undefined;
}

/** The `rel="next"` URL of a `Link` header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
