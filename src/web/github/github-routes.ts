import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { unauthorized } from '../../platform/errors.js';
import { refuseUnknownQuery, routesOf } from '../api/operation.js';
import { listSchema, offsetPage, offsetPaging, sendPage } from '../api/pagination.js';
import { repoPathSchema } from '../api/query.js';
import {
  IssueDetailSchema,
  IssuePageSchema,
  LinkCreatedSchema,
  LinkSchema,
  LinkStatusSchema,
  PollResultSchema,
  PullDetailSchema,
  PullPageSchema,
  WebhookOutcomeSchema,
} from './github-schemas.js';

const PREFIX = '/api/v1/github';
/** GitHub caps webhook payloads at 25 MB and drops bigger events; accept what it can send. */
const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
const repo = repoPathSchema.describe('The /import repository, e.g. /import/hello-world');
const RepoQuery = z.object({ repo });
const PageQuery = z.object({
  repo,
  state: z.enum(['open', 'closed', 'all']).default('all').describe('open, closed or all (default)'),
  ...offsetPaging(),
});
const NumberParams = z.object({
  number: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a positive decimal number')
    .transform(Number)
    .describe('Issue or pull request number'),
});
const LinkBody = z.object({
  repo,
  repository: z.string().min(1).max(2048).describe('owner/name, or a URL of the repository on GitHub'),
  baseUrl: z
    .string()
    .max(2048)
    .optional()
    .describe('A GitHub Enterprise Server, e.g. https://ghe.example.com'),
  credentialId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  webhookSecret: z.string().max(4096).optional().describe('16–256 characters; generated when absent'),
});
const NOT_LINKED = { 404: 'No such repository, or it is not linked to GitHub' } as const;

/**
 * GitHub issues and pull requests of /import repositories (docs/github.md): links (administrators),
 * read-only lists and pages (whoever may read the repository), and the webhook receiver, which
 * authenticates by signature instead of a token.
 */
export async function githubRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  const { service, reader } = ctx.github;
  const readable = async (
    request: { permissions(): Promise<{ requireRead(path: string): void }> },
    path: string,
  ) => (await request.permissions()).requireRead(path);

  route({
    method: 'GET',
    path: `${PREFIX}/links`,
    operationId: 'listGithubLinks',
    tag: 'github',
    summary: 'Every link of an /import repository to GitHub',
    access: 'admin',
    responses: { 200: { description: 'The links', schema: listSchema(LinkSchema) } },
    handler: async () => ({ items: await service.links() }),
  });
  route({
    method: 'POST',
    path: `${PREFIX}/links`,
    operationId: 'createGithubLink',
    tag: 'github',
    summary: 'Link an /import repository to a GitHub repository (the webhook secret is shown once)',
    access: 'admin',
    body: LinkBody,
    responses: { 201: { description: 'The link and its webhook secret', schema: LinkCreatedSchema } },
    errors: { ...NOT_LINKED, 409: 'The repository is linked already' },
    handler: async (request, reply) => {
      const body = request.body;
      const { link, webhookSecret } = await service.link({
        repo: body.repo,
        repository: body.repository,
        ...(body.baseUrl ? { baseUrl: body.baseUrl } : {}),
        ...(body.credentialId !== undefined ? { credentialId: body.credentialId } : {}),
        ...(body.webhookSecret ? { webhookSecret: body.webhookSecret } : {}),
      });
      return reply.status(201).send({ link, webhookSecret });
    },
  });
  route({
    method: 'DELETE',
    path: `${PREFIX}/links`,
    operationId: 'deleteGithubLink',
    tag: 'github',
    summary: 'Unlink a repository; its synced issues, pull requests and comments are removed',
    access: 'admin',
    query: RepoQuery,
    responses: { 204: { description: 'Unlinked' } },
    errors: NOT_LINKED,
    handler: async (request, reply) => {
      await service.unlink(request.query.repo);
      return reply.status(204).send();
    },
  });
  route({
    method: 'POST',
    path: `${PREFIX}/sync`,
    operationId: 'syncGithubLink',
    tag: 'github',
    summary: 'Backfill or poll one linked repository now',
    access: 'admin',
    query: RepoQuery,
    responses: { 200: { description: 'What the poll stored', schema: PollResultSchema } },
    errors: {
      ...NOT_LINKED,
      429: 'GitHub rate limit: `details.retryAt`',
      503: 'GitHub unreachable or failing',
    },
    handler: async (request) => service.sync(request.query.repo),
  });
  route({
    method: 'GET',
    path: `${PREFIX}/status`,
    operationId: 'getGithubLink',
    tag: 'github',
    summary: "A repository's link, last poll and counts",
    access: 'read',
    query: RepoQuery,
    responses: { 200: { description: 'The link', schema: LinkStatusSchema } },
    errors: NOT_LINKED,
    handler: async (request) => {
      await readable(request, request.query.repo);
      return service.status(request.query.repo);
    },
  });
  route({
    method: 'GET',
    path: `${PREFIX}/issues`,
    operationId: 'listGithubIssues',
    tag: 'github',
    summary: 'Issues synced from GitHub, newest number first',
    access: 'read',
    query: PageQuery,
    responses: { 200: { description: 'One page of issues', schema: IssuePageSchema } },
    errors: NOT_LINKED,
    handler: async (request, reply) => {
      const query = request.query;
      await readable(request, query.repo);
      const position = { offset: query.cursor, limit: query.limit };
      // One more than the page: whether a next page exists.
      const found = await reader.issues(query.repo, {
        ...stateOf(query),
        ...position,
        limit: position.limit + 1,
      });
      return sendPage(request, reply, offsetPage(found.issues, position), { link: found.link });
    },
  });
  route({
    method: 'GET',
    path: `${PREFIX}/issues/:number`,
    operationId: 'getGithubIssue',
    tag: 'github',
    summary: 'One issue with its comments',
    access: 'read',
    params: NumberParams,
    query: RepoQuery,
    responses: { 200: { description: 'The issue', schema: IssueDetailSchema } },
    errors: { 404: 'No such repository, link or issue' },
    handler: async (request) => {
      await readable(request, request.query.repo);
      return reader.issue(request.query.repo, request.params.number);
    },
  });
  route({
    method: 'GET',
    path: `${PREFIX}/pulls`,
    operationId: 'listGithubPullRequests',
    tag: 'github',
    summary: 'Pull requests synced from GitHub, newest number first',
    access: 'read',
    query: PageQuery,
    responses: { 200: { description: 'One page of pull requests', schema: PullPageSchema } },
    errors: NOT_LINKED,
    handler: async (request, reply) => {
      const query = request.query;
      await readable(request, query.repo);
      const position = { offset: query.cursor, limit: query.limit };
      // One more than the page: whether a next page exists.
      const found = await reader.pulls(query.repo, {
        ...stateOf(query),
        ...position,
        limit: position.limit + 1,
      });
      return sendPage(request, reply, offsetPage(found.pulls, position), { link: found.link });
    },
  });
  route({
    method: 'GET',
    path: `${PREFIX}/pulls/:number`,
    operationId: 'getGithubPullRequest',
    tag: 'github',
    summary: 'One pull request with its comments and what the mirror holds of its commits',
    access: 'read',
    params: NumberParams,
    query: RepoQuery,
    responses: { 200: { description: 'The pull request', schema: PullDetailSchema } },
    errors: { 404: 'No such repository, link or pull request' },
    handler: async (request) => {
      await readable(request, request.query.repo);
      return reader.pull(request.query.repo, request.params.number);
    },
  });

  // The receiver needs the body's exact bytes (the signature covers them): its own scope parses
  // JSON bodies as text, and the receiver parses them after checking the signature.
  await app.register(async (hook) => {
    // Anyone may post here: a request without a signature is refused before its body (up to
    // 25 MB) is read, so unsigned floods cost no memory. A forged signature still costs one read.
    // The receiver takes no query: an unknown parameter is the same 400 as on any operation, and
    // answered as early, so a query cannot be the way around the signature check.
    hook.addHook('onRequest', refuseUnknownQuery(undefined));
    hook.addHook('onRequest', async (request) => {
      if (typeof request.headers['x-hub-signature-256'] !== 'string') {
        throw unauthorized('github_signature_missing', 'X-Hub-Signature-256 is missing');
      }
    });
    hook.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: MAX_WEBHOOK_BYTES },
      (_r, body, done) => done(null, body),
    );
    routesOf(hook)({
      method: 'POST',
      path: `${PREFIX}/webhook`,
      operationId: 'receiveGithubWebhook',
      tag: 'github',
      summary: 'GitHub webhook receiver (issues, issue_comment, pull_request)',
      description:
        'Configure on GitHub with content type `application/json` and the secret `mega github link` printed. ' +
        "The `X-Hub-Signature-256` must verify with the secret of a link to the payload's repository, else 401 " +
        'and nothing is stored. Each `X-GitHub-Delivery` is applied once: a replay answers `duplicate`. ' +
        'Other events are acknowledged as `ignored`.',
      access: 'public',
      responses: {
        200: { description: 'Stored, ignored, or a duplicate delivery', schema: WebhookOutcomeSchema },
      },
      errors: {
        401: 'Missing or wrong X-Hub-Signature-256 (`github_signature_missing`, `github_signature_invalid`)',
      },
      handler: async (request) => {
        const header = (name: string) => {
          const value = request.headers[name];
          return typeof value === 'string' ? value : undefined;
        };
        return service.receiveWebhook({
          event: header('x-github-event'),
          deliveryId: header('x-github-delivery'),
          signature: header('x-hub-signature-256'),
          body: typeof request.body === 'string' ? request.body : '',
        });
      },
    });
  });
}

function stateOf(query: { state: 'open' | 'closed' | 'all' }): { state?: 'open' | 'closed' } {
  return query.state === 'all' ? {} : { state: query.state };
}
