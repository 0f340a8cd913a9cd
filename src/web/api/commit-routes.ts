import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Permissions } from '../../access/permissions.js';
import { requireUser } from '../../access/principal.js';
import { requirePushAccess } from '../../access/push-guard.js';
import { parseObjectId } from '../../git/object-id.js';
import { commitFileActions } from '../../monorepo/commit-actions.js';
import { DEFAULT_FILE_ACTION_LIMITS, type FileAction } from '../../monorepo/file-actions.js';
import { invalid, isMegaError, notFound } from '../../platform/errors.js';
import { pushLimits } from '../../repo/served-repository.js';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from './operation.js';
import { baseUrl, repoPathSchema } from './query.js';

/** Past this the body is refused while parsing; between the commit limit and it, with 413. */
const MAX_PARSED_ACTIONS = 10_000;

const ActionSchema = z
  .object({
    action: z.enum(['create', 'update', 'delete', 'move', 'chmod']),
    filePath: z.string().min(1).max(4096).describe('Relative to `path`, e.g. `src/main.ts`'),
    previousPath: z.string().min(1).max(4096).optional().describe('`move`: the file moved'),
    content: z
      .string()
      .optional()
      .describe('`create`, `update` (required) and `move` (optional: keeps the content): the whole new file'),
    encoding: z
      .enum(['text', 'base64'])
      .default('text')
      .describe('How `content` is written (default text, UTF-8)'),
    executeFilemode: z
      .boolean()
      .optional()
      .describe('`chmod` (required), `create`, `update`, `move`: the executable bit'),
  })
  .strict();

const CommitBody = z
  .object({
    path: repoPathSchema.describe('What a clone of that path edits: /projects/foo, /projects, /import/bar…'),
    branch: z.string().min(1).max(512).optional().describe("refs/heads/… (default: the path's HEAD)"),
    base: z.string().describe('The commit the edit is based on: the head a clone of `path` shows'),
    message: z.string().max(65536),
    author: z
      .object({ name: z.string().max(255), email: z.string().max(255) })
      .strict()
      .optional(),
    title: z.string().max(1024).optional().describe('Merge request title (push option mr.title)'),
    description: z.string().max(65536).optional().describe('Merge request description (mr.description)'),
    // A parse-time bound only: the commit limit (100) answers 413 `commit_too_many_actions`.
    actions: z
      .array(ActionSchema)
      .min(1)
      .max(MAX_PARSED_ACTIONS)
      .describe(`At most ${DEFAULT_FILE_ACTION_LIMITS.maxActions} actions`),
  })
  .strict();

const CommitResultSchema = z
  .object({
    path: z.string(),
    commit: z.string().describe('The commit built from the actions'),
    branch: z.string(),
    outcome: z
      .enum(['merge_request', 'branch'])
      .describe('A merge request opened/updated, or the branch moved'),
    mergeRequest: z.object({ number: z.number(), url: z.string() }).optional(),
    messages: z.array(z.string()).describe('What git would have printed as remote: lines'),
  })
  .register(components, { id: 'CommitResult' });

const HeadQuery = z.object({ path: repoPathSchema, branch: z.string().min(1).max(512).optional() });

/**
 * The commits API (issue 22, seed 004 §4: a directory over the clone limit is changed through
 * the API). `POST /api/v1/commits` builds a commit from file actions on a base and hands it to
 * exactly what a push of it to `path` would meet (`monorepo/commit-actions.ts`).
 * `GET /api/v1/commits/head` tells the base to use, also where a clone is refused as too large.
 */
export async function commitRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  const receiveLimits = pushLimits(ctx.config.limits);
  const actionLimits = {
    ...DEFAULT_FILE_ACTION_LIMITS,
    maxFileBytes: Math.min(DEFAULT_FILE_ACTION_LIMITS.maxFileBytes, ctx.config.limits.maxObjectBytes),
  };

  /** The path as a push opens it: read, then `write` (per repository for a directory view), then the push guard. */
  const openForWrite = async (path: string, permissions: Permissions) => {
    try {
      permissions.requireRead(path);
      const repository = await ctx.repositories.resolve(path, 'write', permissions);
      requirePushAccess(permissions, repository);
      return ctx.pushGuard.guard(repository, permissions);
    } catch (error) {
      if (isMegaError(error, 'not_found'))
        throw notFound('repository_not_found', `${path}: not found`, { path });
      throw error;
    }
  };

  route({
    method: 'POST',
    path: '/api/v1/commits',
    operationId: 'createCommit',
    tag: 'commits',
    summary:
      'Commit file actions (create, update, delete, move, chmod) to a path: a merge request under /projects, the branch under /import',
    access: 'user',
    body: CommitBody,
    responses: {
      201: {
        description: 'The commit, and the merge request or branch it went to',
        schema: CommitResultSchema,
      },
    },
    errors: {
      403: "No write role, or refused by the path's push rules (commit_refused: the reason git would print)",
      404: 'No such path, or one you may not read',
      409: 'stale_base (`head` is the current head), file_exists, file_missing, file_path_conflict',
      413: 'More actions or content than the limits allow',
    },
    handler: async (request, reply) => {
      const principal = requireUser(request.principal);
      const body = request.body;
      const base = parseBase(body.base);
      const actions = body.actions.map(toFileAction);
      const repository = await openForWrite(body.path, await request.permissions());
      const outcome = await commitFileActions(
        repository,
        {
          ...(body.branch ? { branch: qualifiedBranch(body.branch) } : {}),
          base,
          message: body.message,
          author: body.author ?? { name: principal.username, email: `${principal.username}@mega.local` },
          actions,
          pushOptions: [
            ...(body.title !== undefined ? [`mr.title=${body.title}`] : []),
            ...(body.description !== undefined ? [`mr.description=${body.description}`] : []),
          ],
        },
        {
          principal,
          baseUrl: baseUrl(request, ctx.config),
          receiveLimits,
          actionLimits,
          now: Date.now() / 1000,
        },
      );
      if (outcome.kind === 'branch') ctx.walkRecorder.schedule(repository);
      ctx.logger.info(
        { path: body.path, commit: outcome.commit, by: principal.username },
        'commit through the API',
      );
      return reply.status(201).send({
        path: repository.path,
        commit: outcome.commit,
        branch: outcome.branch,
        outcome: outcome.kind,
        ...(outcome.kind === 'merge_request' ? { mergeRequest: outcome.mergeRequest } : {}),
        messages: [...outcome.messages],
      });
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/commits/head',
    operationId: 'getCommitBase',
    tag: 'commits',
    summary: 'The head of a path to base a commit on (also for a directory too large to clone)',
    access: 'user',
    query: HeadQuery,
    responses: {
      200: {
        description: 'The branch and its head',
        schema: z.object({ path: z.string(), branch: z.string(), head: z.string().nullable() }),
      },
    },
    errors: { 404: 'No such path, or one you may not read' },
    handler: async (request) => {
      const query = request.query;
      const repository = await openForWrite(query.path, await request.permissions());
      const snapshot = await repository.listRefs();
      const branch = query.branch
        ? qualifiedBranch(query.branch)
        : (snapshot.headTarget ?? 'refs/heads/main');
      const head = snapshot.refs.find((ref) => ref.name === branch)?.target ?? null;
      return { path: repository.path, branch, head };
    },
  });
}

function parseBase(text: string) {
  try {
    return parseObjectId(text);
  } catch {
    throw invalid('body_invalid', 'base must be a full commit id (40 hex digits)', { base: text });
  }
}

/** `main` or `refs/heads/main`. */
function qualifiedBranch(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}

type ActionBody = z.output<typeof ActionSchema>;

/** The JSON action as a domain action; fields an action does not take are refused, not ignored. */
function toFileAction(body: ActionBody, index: number): FileAction {
  const where = `actions[${index}] (${body.action} ${body.filePath})`;
  const refuse = (why: string) => invalid('body_invalid', `${where}: ${why}`, { index });
  const content = (): Buffer | undefined => {
    if (body.content === undefined) return undefined;
    if (body.encoding === 'text') return Buffer.from(body.content, 'utf8');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.content) || body.content.length % 4 !== 0)
      throw refuse('content is not valid base64');
    return Buffer.from(body.content, 'base64');
  };
  const required = (): Buffer => {
    const given = content();
    if (!given) throw refuse('content is required');
    return given;
  };
  if (body.action !== 'move' && body.previousPath !== undefined)
    throw refuse('previousPath is only for move');
  switch (body.action) {
    case 'create':
    case 'update':
      return {
        action: body.action,
        path: body.filePath,
        content: required(),
        ...(body.executeFilemode !== undefined ? { executable: body.executeFilemode } : {}),
      };
    case 'delete':
      if (body.content !== undefined || body.executeFilemode !== undefined)
        throw refuse('delete takes no content nor executeFilemode');
      return { action: 'delete', path: body.filePath };
    case 'chmod':
      if (body.content !== undefined) throw refuse('chmod takes no content');
      if (body.executeFilemode === undefined) throw refuse('executeFilemode is required');
      return { action: 'chmod', path: body.filePath, executable: body.executeFilemode };
    case 'move': {
      if (body.previousPath === undefined) throw refuse('previousPath is required');
      const moved = content();
      return {
        action: 'move',
        path: body.filePath,
        previousPath: body.previousPath,
        ...(moved ? { content: moved } : {}),
        ...(body.executeFilemode !== undefined ? { executable: body.executeFilemode } : {}),
      };
    }
  }
}
