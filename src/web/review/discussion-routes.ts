import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../../access/principal.js';
import type { Actor } from '../../review/merge-gates.js';
import { MAX_COMMENT_BYTES } from '../../review/comment-body.js';
import { components, routesOf } from '../api/operation.js';
import { offsetPage, offsetPaging, pageSchema, sendPage } from '../api/pagination.js';

const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const NumberParams = z.object({ number: Id.describe('Merge request number') });
const ThreadParams = NumberParams.extend({
  thread: Id.describe("The thread's first comment (or any of its comments)"),
});
const CommentParams = NumberParams.extend({ id: Id.describe('Comment id') });

/**
 * Bodies are checked in bytes by the service (413 `comment_body_too_large` over
 * `MAX_COMMENT_BYTES`); this bound only keeps absurd inputs from reaching it.
 */
const BodyText = z
  .string()
  .max(MAX_COMMENT_BYTES * 4)
  .describe(`Markdown text, at most ${MAX_COMMENT_BYTES} UTF-8 bytes, no control characters`);

const PositionSchema = z
  .object({
    repoPath: z.string().min(1).max(1024).describe('A repository the merge request changes: /projects/foo'),
    path: z.string().min(1).max(4096).describe("A file in that repository's diff"),
    side: z.enum(['old', 'new']).describe('old: the line counts in the base; new: in the proposed head'),
    line: z.number().int().min(1).max(100_000_000).describe('1-based line on that side'),
  })
  .strict();

const CommentSchema = z
  .object({
    id: z.int(),
    threadId: z.int(),
    body: z.string(),
    deleted: z.boolean().describe('Deleted but kept for its replies (empty body)'),
    edited: z.boolean(),
    author: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .register(components, { id: 'DiscussionComment' });

const ThreadSchema = z
  .object({
    id: z.int(),
    position: z
      .object({
        repoPath: z.string(),
        path: z.string(),
        side: z.enum(['old', 'new']),
        line: z.int(),
        commitId: z
          .string()
          .describe('The commit the line counts in: the head (new side) or the base (old side)'),
      })
      .optional()
      .describe('Absent for a comment on the merge request as a whole'),
    resolved: z.boolean(),
    resolvedBy: z.string().optional(),
    outdated: z.boolean().describe('The line changed or vanished since the comment was made'),
    comments: z.array(CommentSchema),
  })
  .register(components, { id: 'DiscussionThread' });

const TimelineEntrySchema = z
  .object({
    id: z.int(),
    action: z
      .string()
      .describe('opened, updated, force_updated, commented, resolved, approved, merged, closed…'),
    actor: z.string(),
    detail: z.string().optional(),
    at: z.string(),
    comment: CommentSchema.optional().describe('For `commented`, while the comment exists'),
  })
  .register(components, { id: 'TimelineEntry' });

const NOT_FOUND = 'No such merge request (or one you cannot read)';

async function actorOf(request: FastifyRequest): Promise<Actor> {
  const user = requireUser(request.principal);
  return { username: user.username, userId: user.userId, authority: await request.permissions() };
}

/**
 * Discussions on merge requests over REST (comments, line comments, replies, resolve) and the
 * timeline. Reads answer only those who can see the merge request (404 otherwise, as for a
 * missing one); writes need a token.
 */
export async function discussionRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const service = ctx.review.discussions;
  const route = routesOf(app);
  const tag = 'merge requests';

  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number/discussions',
    operationId: 'listDiscussions',
    tag,
    summary: 'Every discussion thread with its comments, resolved and outdated flags',
    access: 'read',
    params: NumberParams,
    responses: {
      200: {
        description: 'The threads, in the order they were started',
        schema: z.object({
          items: z.array(ThreadSchema),
          unresolved: z.int().describe('Threads not resolved'),
        }),
      },
    },
    errors: { 404: NOT_FOUND },
    handler: async (request) => {
      const { threads, unresolved } = await service.list(request.params.number, await request.permissions());
      return { items: threads, unresolved };
    },
  });

  route({
    method: 'POST',
    path: '/api/v1/merge-requests/:number/discussions',
    operationId: 'startDiscussion',
    tag,
    summary: 'Start a thread on the merge request, or on a diff line with `position`',
    access: 'user',
    params: NumberParams,
    body: z.object({ body: BodyText, position: PositionSchema.optional() }).strict(),
    responses: { 201: { description: 'The new thread', schema: ThreadSchema } },
    errors: {
      404: NOT_FOUND,
      413: '`comment_body_too_large`',
    },
    handler: async (request, reply) => {
      const thread = await service.start(request.params.number, await actorOf(request), {
        body: request.body.body,
        ...(request.body.position ? { position: request.body.position } : {}),
      });
      return reply.status(201).send(thread);
    },
  });

  route({
    method: 'POST',
    path: '/api/v1/merge-requests/:number/discussions/:thread/replies',
    operationId: 'replyToDiscussion',
    tag,
    summary: 'Reply to a thread (a reply to a reply joins the same thread)',
    access: 'user',
    params: ThreadParams,
    body: z.object({ body: BodyText }).strict(),
    responses: { 201: { description: 'The reply', schema: CommentSchema } },
    errors: { 404: `${NOT_FOUND}, or no such thread on it`, 413: '`comment_body_too_large`' },
    handler: async (request, reply) => {
      const comment = await service.reply(
        request.params.number,
        request.params.thread,
        await actorOf(request),
        request.body.body,
      );
      return reply.status(201).send(comment);
    },
  });

  for (const action of ['resolve', 'unresolve'] as const) {
    route({
      method: 'POST',
      path: `/api/v1/merge-requests/:number/discussions/:thread/${action}`,
      operationId: `${action}Discussion`,
      tag,
      summary: `${action === 'resolve' ? 'Resolve' : 'Unresolve'} a thread (its author, the merge request's author, or a writer of every touched path)`,
      access: 'user',
      params: ThreadParams,
      responses: { 200: { description: 'The thread', schema: ThreadSchema } },
      errors: { 403: '`resolve_forbidden`', 404: `${NOT_FOUND}, or no such thread on it` },
      handler: async (request) =>
        service[action](request.params.number, request.params.thread, await actorOf(request)),
    });
  }

  route({
    method: 'PATCH',
    path: '/api/v1/merge-requests/:number/comments/:id',
    operationId: 'editComment',
    tag,
    summary: "Change one's own comment",
    access: 'user',
    params: CommentParams,
    body: z.object({ body: BodyText }).strict(),
    responses: { 200: { description: 'The comment', schema: CommentSchema } },
    errors: {
      403: '`comment_forbidden`: not your comment',
      404: `${NOT_FOUND}, or no such comment on it`,
      413: '`comment_body_too_large`',
    },
    handler: async (request) =>
      service.edit(request.params.number, request.params.id, await actorOf(request), request.body.body),
  });

  route({
    method: 'DELETE',
    path: '/api/v1/merge-requests/:number/comments/:id',
    operationId: 'deleteComment',
    tag,
    summary: "Delete one's own comment (a thread's first comment with replies stays as a tombstone)",
    access: 'user',
    params: CommentParams,
    responses: {
      200: {
        description: 'What was done',
        schema: z.object({ id: z.int(), outcome: z.enum(['removed', 'tombstone']) }),
      },
    },
    errors: { 403: '`comment_forbidden`: not your comment', 404: `${NOT_FOUND}, or no such comment on it` },
    handler: async (request) =>
      service.remove(request.params.number, request.params.id, await actorOf(request)),
  });

  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number/timeline',
    operationId: 'getMergeRequestTimeline',
    tag,
    summary: 'Everything that happened to a merge request, oldest first, with the comments (paged)',
    access: 'read',
    params: NumberParams,
    query: z.object(offsetPaging()),
    responses: {
      200: {
        description: 'One page of the timeline',
        schema: pageSchema(TimelineEntrySchema),
      },
    },
    errors: { 404: NOT_FOUND },
    handler: async (request, reply) => {
      const position = { offset: request.query.cursor, limit: request.query.limit };
      const result = await service.timeline(request.params.number, await request.permissions(), position);
      return sendPage(request, reply, offsetPage(result.items, position, { total: result.total }));
    },
  });
}
