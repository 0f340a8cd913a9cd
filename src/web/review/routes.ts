import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../../access/principal.js';
import { DIFF_LIMITS_DESCRIPTION, DiffSchema } from '../api/api-schemas.js';
import { components, routesOf } from '../api/operation.js';
import { offsetPage, offsetPaging, pageSchema, sendPage } from '../api/pagination.js';
import { baseUrl } from '../api/query.js';
import { approvalRoutes } from './approval-routes.js';
import { commitListRoutes } from './commit-list-routes.js';
import { discussionRoutes } from './discussion-routes.js';
import { statusRoutes } from './status-routes.js';
import { webhookRoutes } from './webhook-routes.js';

const STATUSES = ['open', 'merging', 'merged', 'closed'] as const;
const ListQuery = z.object({
  status: z.enum(STATUSES).optional().describe('open, merging, merged or closed'),
  path: z.string().min(1).max(1024).optional().describe('Touching this repository or pushed to this path'),
  author: z.string().min(1).max(255).optional().describe('Opened by this user'),
  ...offsetPaging(),
});

const NumberParams = z.object({
  number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Merge request number'),
});

const MergeRequestSchema = z
  .object({
    number: z.int(),
    title: z.string(),
    description: z.string(),
    targetBranch: z
      .string()
      .optional()
      .describe("The branch merged into; absent = each repository's default"),
    mergeability: z
      .object({
        state: z.enum(['unknown', 'clean', 'conflict']),
        conflicts: z.array(z.object({ repository: z.string(), path: z.string() })),
        targets: z
          .record(z.string(), z.string())
          .describe('Target head per repository it was computed against'),
        checkedAt: z.string().optional(),
      })
      .describe('Whether it merges cleanly, computed when opened, updated, and when a target moves'),
    status: z.enum(STATUSES),
    viewPath: z.string().describe('The path that was pushed to (a directory view or a repository)'),
    refName: z.string().optional(),
    pushedCommit: z.string(),
    baseViewCommit: z.string().optional(),
    author: z.string(),
    authorId: z.int().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    changes: z.array(
      z.object({
        repoPath: z.string(),
        baseCommit: z.string(),
        headCommit: z.string(),
        mergedCommit: z.string().optional(),
      }),
    ),
  })
  .register(components, { id: 'MergeRequest' });
const MergeRequestDetailSchema = MergeRequestSchema.extend({
  url: z.string(),
  events: z.array(
    z.object({ action: z.string(), actor: z.string(), detail: z.string().optional(), at: z.string() }),
  ),
  diffs: z.array(z.object({ repoPath: z.string(), diff: DiffSchema })),
}).register(components, { id: 'MergeRequestDetail' });
const MergeOutcomeSchema = z.object({
  number: z.int(),
  merged: z.array(z.object({ repoPath: z.string(), commit: z.string(), kind: z.string() })),
});

const ACTIONS = {
  merge: {
    summary: 'Merge into every touched repository in one transaction',
    schema: MergeOutcomeSchema,
    conflict: 'Not open, a target branch moved, or the changes conflict (`details` lists the files)',
    forbidden:
      '`merge_forbidden`: no maintain role on a touched path; `self_merge_not_allowed`: the author may not merge there (`details.path`)',
  },
  close: {
    summary: 'Close the merge request (maintainers of every touched path, or its author)',
    schema: MergeRequestSchema,
    conflict: 'Not open',
    forbidden: 'Neither the author nor a maintainer of every touched path',
  },
  reopen: {
    summary: 'Reopen the merge request (maintainers of every touched path, or its author)',
    schema: MergeRequestSchema,
    conflict: 'Not closed',
    forbidden: 'Neither the author nor a maintainer of every touched path',
  },
  update: {
    summary:
      'Update from the target: rebase each proposal onto its moved target head (line-merged), as a new commit',
    schema: MergeRequestSchema,
    conflict:
      '`merge_conflict`: a proposal conflicts with its target (`details.files`); `merge_request_up_to_date`: no target moved; `merge_request_not_open`; `merge_target_moved`: changed meanwhile, retry',
    forbidden: 'Neither the author nor a writer of every touched path',
  },
} as const;
const METHOD_OF_ACTION = {
  merge: 'merge',
  close: 'close',
  reopen: 'reopen',
  update: 'updateFromTarget',
} as const;

/**
 * Merge requests over REST (SPEC §6): `GET /api/v1/merge-requests` (filters: status, path,
 * author; paged), `GET /api/v1/merge-requests/:number` (with per-file diffs and history), and
 * `POST …/:number/merge|close|reopen|update`. A merge (or an update from the target) that
 * conflicts answers 409 with the files.
 */
export async function reviewRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const service = ctx.review.mergeRequests;
  const route = routesOf(app);
  await discussionRoutes(app, ctx);
  await approvalRoutes(app, ctx);
  await statusRoutes(app, ctx);
  await webhookRoutes(app, ctx);
  await commitListRoutes(app, ctx);

  route({
    method: 'GET',
    path: '/api/v1/merge-requests',
    operationId: 'listMergeRequests',
    tag: 'merge requests',
    summary: 'Merge requests, newest first (only those whose every path you may read)',
    access: 'read',
    query: ListQuery,
    responses: {
      200: {
        description: 'One page of merge requests',
        schema: pageSchema(MergeRequestSchema),
      },
    },
    handler: async (request, reply) => {
      const query = request.query;
      const position = { offset: query.cursor, limit: query.limit };
      // One more than the page: whether a next page exists.
      const rows = await service.list(
        {
          ...(query.status ? { status: query.status } : {}),
          ...(query.path ? { path: query.path.startsWith('/') ? query.path : `/${query.path}` } : {}),
          ...(query.author ? { author: query.author } : {}),
          limit: position.limit + 1,
          offset: position.offset,
        },
        await request.permissions(),
      );
      return sendPage(request, reply, offsetPage(rows, position));
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number',
    operationId: 'getMergeRequest',
    tag: 'merge requests',
    summary: 'One merge request with per-file diffs for every repository it touches, and its history',
    description: `One diff per repository touched, each bounded on its own. ${DIFF_LIMITS_DESCRIPTION}`,
    access: 'read',
    params: NumberParams,
    responses: { 200: { description: 'The merge request', schema: MergeRequestDetailSchema } },
    errors: { 404: 'No such merge request' },
    handler: async (request) => {
      const detail = await service.show(request.params.number, await request.permissions());
      // Links point where this client reached the server (or the configured public URL).
      return { ...detail, url: service.url(detail.number, baseUrl(request, ctx.config)) };
    },
  });

  for (const [action, doc] of Object.entries(ACTIONS) as Array<
    [keyof typeof ACTIONS, (typeof ACTIONS)[keyof typeof ACTIONS]]
  >) {
    route({
      method: 'POST',
      path: `/api/v1/merge-requests/:number/${action}`,
      operationId: action === 'update' ? 'updateMergeRequestFromTarget' : `${action}MergeRequest`,
      tag: 'merge requests',
      summary: doc.summary,
      access: 'user',
      params: NumberParams,
      responses: { 200: { description: 'Done', schema: doc.schema } },
      errors: {
        403: doc.forbidden,
        404: 'No such merge request (or one you cannot read, or a touched repository is gone)',
        409: doc.conflict,
      },
      handler: async (request) => {
        const user = requireUser(request.principal);
        return service[METHOD_OF_ACTION[action]](request.params.number, {
          username: user.username,
          userId: user.userId,
          authority: await request.permissions(),
        });
      },
    });
  }
}
