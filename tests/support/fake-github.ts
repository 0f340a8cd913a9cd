import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import examples from '@octokit/webhooks-examples';

/**
 * A small stand-in for GitHub's REST API (no network in tests): the listings our poller reads,
 * serving payloads recorded by GitHub (`@octokit/webhooks-examples`) renumbered into as many
 * items as a test wants. Like GitHub it pages with `Link` headers (page size capped by
 * `pageSize`), answers `If-None-Match` with 304, filters by `since`, and can answer 403 with
 * rate-limit headers for the next requests.
 */
export interface FakeGithub {
  /** REST base, as a GitHub Enterprise Server's: `http://127.0.0.1:PORT/api/v3`. */
  readonly apiUrl: string;
  readonly webUrl: string;
  readonly requests: Array<{ url: string; authorization?: string; ifNoneMatch?: string; status: number }>;
  readonly repo: FakeRepository;
  pageSize: number;
  /** After `after` more requests, the next `count` get 403 with these headers (then normal again). */
  rateLimit(count: number, headers: Record<string, string>, after?: number): void;
  close(): Promise<void>;
}

export interface FakeRepository {
  issues: Array<Record<string, unknown>>;
  pulls: Array<Record<string, unknown>>;
  comments: Array<Record<string, unknown>>;
}

type Example = { name: string; examples: Array<Record<string, unknown>> };
const all = examples as unknown as Example[];

/** The recorded webhook payloads of one event (every action). */
export function webhookExamples(event: string): Array<Record<string, unknown>> {
  return all.find((entry) => entry.name === event)?.examples ?? [];
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
export const time = (minute: number) =>
  new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString().replace('.000', '');

/** A recorded issue renumbered, updated at minute `minute`. */
export function recordedIssue(number: number, minute: number): Record<string, unknown> {
  const issue = clone(webhookExamples('issues').find((e) => e.action === 'opened')?.issue) as Record<
    string,
    unknown
  >;
  return {
    ...issue,
    number,
    title: `issue ${number}`,
    updated_at: time(minute),
    html_url: `https://github.com/Codertocat/Hello-World/issues/${number}`,
  };
}

export function recordedPull(number: number, minute: number): Record<string, unknown> {
  const pull = clone(
    webhookExamples('pull_request').find((e) => e.action === 'opened')?.pull_request,
  ) as Record<string, unknown>;
  return { ...pull, number, title: `pull ${number}`, updated_at: time(minute) };
}

export function recordedComment(id: number, issueNumber: number, minute: number): Record<string, unknown> {
  const comment = clone(
    webhookExamples('issue_comment').find((e) => e.action === 'created')?.comment,
  ) as Record<string, unknown>;
  const issueUrl = String(comment.issue_url).replace(/\/issues\/\d+$/, `/issues/${issueNumber}`);
  return { ...comment, id, body: `comment ${id}`, issue_url: issueUrl, updated_at: time(minute) };
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const app: FastifyInstance = Fastify();
  const repo: FakeRepository = { issues: [], pulls: [], comments: [] };
  const requests: FakeGithub['requests'] = [];
  let limited: { count: number; after: number; headers: Record<string, string> } | undefined;
  let base = '';
  const state = { pageSize: 100 };

  const serve =
    (list: () => Array<Record<string, unknown>>, options: { since: boolean }) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, string | undefined>;
      const record = {
        url: request.url,
        authorization: request.headers.authorization,
        ifNoneMatch: request.headers['if-none-match'] as string | undefined,
        status: 200,
      };
      requests.push(record);
      if (limited && limited.after > 0) limited.after -= 1;
      else if (limited && limited.count > 0) {
        limited.count -= 1;
        record.status = 403;
        return reply.code(403).headers(limited.headers).send({ message: 'API rate limit exceeded' });
      }
      let items = list();
      if (options.since && query.since)
        items = items.filter((item) => String(item.updated_at) >= String(query.since));
      items = [...items].sort((a, b) => String(a.updated_at).localeCompare(String(b.updated_at)));
      if (query.direction === 'desc') items.reverse();
      const perPage = Math.min(Number(query.per_page ?? 30), state.pageSize);
      const page = Number(query.page ?? 1);
      const body = JSON.stringify(items.slice((page - 1) * perPage, page * perPage));
      const etag = `W/"${createHash('sha1')
        .update(request.url.replace(/[?&]page=\d+/, '') + body)
        .digest('hex')}"`;
      reply
        .header('etag', etag)
        .header('x-ratelimit-remaining', '4999')
        .header('content-type', 'application/json');
      if (request.headers['if-none-match'] === etag) {
        record.status = 304;
        return reply.code(304).send();
      }
      const pages = Math.max(1, Math.ceil(items.length / perPage));
      if (page < pages) {
        const next = new URL(`${base}${request.url}`);
        next.searchParams.set('page', String(page + 1));
        const last = new URL(next);
        last.searchParams.set('page', String(pages));
        reply.header('link', `<${next.href}>; rel="next", <${last.href}>; rel="last"`);
      }
      return reply.send(body);
    };

  app.get(
    '/api/v3/repos/:owner/:repo/issues',
    serve(() => [...repo.issues, ...repo.pulls.map(asIssue)], { since: true }),
  );
  app.get(
    '/api/v3/repos/:owner/:repo/pulls',
    serve(() => repo.pulls, { since: false }),
  );
  app.get(
    '/api/v3/repos/:owner/:repo/issues/comments',
    serve(() => repo.comments, { since: true }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/v3`,
    webUrl: base,
    requests,
    repo,
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(value: number) {
      state.pageSize = value;
    },
    rateLimit(count, headers, after = 0) {
      limited = { count, after, headers };
    },
    close: () => app.close(),
  };
}

/** The issues listing shows pull requests as issues with a `pull_request` key, like GitHub's. */
function asIssue(pull: Record<string, unknown>): Record<string, unknown> {
  const issue = recordedIssue(Number(pull.number), 0);
  return { ...issue, updated_at: pull.updated_at, pull_request: { url: pull.url } };
}
