import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Subject } from '../../access/access-admin.js';
import { parseAccessPath } from '../../access/paths.js';
import { invalid } from '../../platform/errors.js';
import type { StoredGrant } from '../../storage/access/access-store.js';
import type { RouteContext } from '../deps.js';
import { routesOf } from './operation.js';
import { listSchema } from './pagination.js';

const PathText = z.string().min(1).max(1024);
const SubjectFields = {
  user: z.string().min(1).max(64).optional().describe('A user name (or give group)'),
  group: z.string().min(1).max(64).optional().describe('A group name (or give user)'),
};
const GrantSchema = z.object({
  path: z.string(),
  user: z.string().optional(),
  group: z.string().optional(),
  role: z.string(),
  createdAt: z.string(),
});
const PathSettingSchema = z.object({
  path: z.string(),
  visibility: z.string().nullable().describe('Set on this path; null: inherited'),
  selfMerge: z.boolean().nullable().describe('Set on this path; null: inherited'),
  effective: z.object({ visibility: z.string(), selfMerge: z.boolean() }),
});
const ProtectedSchema = z.object({
  repo: z.string(),
  items: z.array(z.string()).describe('The patterns, e.g. main, release/*'),
});
const RepoPatternBody = z.object({ repo: PathText, pattern: z.string().min(1).max(255) });

/** The subject of a grant body: exactly one of `user` and `group`. */
function subjectOf(body: { user?: string | undefined; group?: string | undefined }): Subject {
  if ((body.user === undefined) === (body.group === undefined)) {
    throw invalid('subject_invalid', 'give exactly one of user and group');
  }
  return body.user !== undefined ? { kind: 'user', name: body.user } : { kind: 'group', name: body.group! };
}

function grantView(grant: StoredGrant) {
  return {
    path: grant.path,
    ...(grant.subjectKind === 'group' ? { group: grant.subjectName } : { user: grant.subjectName }),
    role: grant.role,
    createdAt: grant.createdAt,
  };
}

/**
 * Grants, path settings and protected-branch patterns. Every change and every read of the
 * settings of a path needs the `admin` role on it (administrators have it everywhere); the
 * grant listing shows only the paths the caller administers.
 */
export async function accessRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const admin = ctx.accessAdmin;
  const route = routesOf(app);
  const errors = { 403: 'No admin role on the path', 404: 'Unknown user, group or grant' } as const;

  route({
    method: 'GET',
    path: '/api/v1/access/grants',
    operationId: 'listGrants',
    tag: 'access',
    summary: 'Grants at or below a path, on the paths you administer',
    access: 'user',
    query: z.object({ path: PathText.default('/').describe('Where to start (default /)') }),
    responses: { 200: { description: 'The grants', schema: listSchema(GrantSchema) } },
    handler: async (request) => {
      const permissions = await request.permissions();
      const under = parseAccessPath(request.query.path);
      const grants = await admin.grants(under);
      return {
        items: grants.filter((grant) => permissions.has(grant.path, 'admin')).map(grantView),
      };
    },
  });

  route({
    method: 'PUT',
    path: '/api/v1/access/grants',
    operationId: 'setGrant',
    tag: 'access',
    summary: 'Give a user or group a role on a path (replaces their role there)',
    access: 'user',
    body: z.object({ path: PathText, ...SubjectFields, role: z.string().min(1).max(32) }),
    responses: { 200: { description: 'The grant', schema: GrantSchema.omit({ createdAt: true }) } },
    errors,
    handler: async (request) => {
      const path = parseAccessPath(request.body.path);
      (await request.permissions()).require(path, 'admin', 'managing access');
      const subject = subjectOf(request.body);
      const granted = await admin.grant(path, subject, request.body.role);
      return { path: granted.path, [subject.kind]: subject.name, role: granted.role };
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/access/grants',
    operationId: 'removeGrant',
    tag: 'access',
    summary: "Remove a user's or group's grant on exactly this path",
    access: 'user',
    body: z.object({ path: PathText, ...SubjectFields }),
    responses: { 204: { description: 'Removed' } },
    errors,
    handler: async (request, reply) => {
      const path = parseAccessPath(request.body.path);
      (await request.permissions()).require(path, 'admin', 'managing access');
      await admin.revoke(path, subjectOf(request.body));
      return reply.status(204).send();
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/access/paths',
    operationId: 'getPathSettings',
    tag: 'access',
    summary: "A path's visibility and self-merge rule: its own and the effective ones",
    access: 'user',
    query: z.object({ path: PathText }),
    responses: { 200: { description: 'The settings', schema: PathSettingSchema } },
    errors,
    handler: async (request) => {
      const path = parseAccessPath(request.query.path);
      const permissions = await request.permissions();
      permissions.require(path, 'admin', 'managing access');
      const own = await admin.pathSetting(path);
      return {
        ...own,
        effective: {
          visibility: permissions.visibilityOf(path),
          selfMerge: permissions.selfMergeAllowed(path),
        },
      };
    },
  });

  route({
    method: 'PUT',
    path: '/api/v1/access/paths',
    operationId: 'setPathSettings',
    tag: 'access',
    summary: "Set a path's visibility and/or self-merge rule (null: inherit again)",
    access: 'user',
    body: z.object({
      path: PathText,
      visibility: z.string().max(32).nullable().optional().describe('public, internal, private or null'),
      selfMerge: z.boolean().nullable().optional(),
    }),
    responses: { 200: { description: 'The settings now', schema: PathSettingSchema } },
    errors,
    handler: async (request) => {
      const path = parseAccessPath(request.body.path);
      (await request.permissions()).require(path, 'admin', 'managing access');
      const own = await admin.setPathSetting(path, {
        ...(request.body.visibility !== undefined ? { visibility: request.body.visibility } : {}),
        ...(request.body.selfMerge !== undefined ? { selfMerge: request.body.selfMerge } : {}),
      });
      // Fresh rules: the request's memoised permissions predate the change.
      const after = await ctx.access.permissionsOf(request.principal);
      return {
        ...own,
        effective: { visibility: after.visibilityOf(path), selfMerge: after.selfMergeAllowed(path) },
      };
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/access/protected-branches',
    operationId: 'listProtectedBranches',
    tag: 'access',
    summary: "A repository's protected-branch patterns",
    access: 'user',
    query: z.object({ repo: PathText }),
    responses: { 200: { description: 'The patterns', schema: ProtectedSchema } },
    errors,
    handler: async (request) => {
      const repo = parseAccessPath(request.query.repo);
      (await request.permissions()).require(repo, 'admin', 'managing access');
      const patterns = await admin.protectedBranches(repo);
      return { repo, items: patterns.map((entry) => entry.pattern) };
    },
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    route({
      method,
      path: '/api/v1/access/protected-branches',
      operationId: method === 'PUT' ? 'protectBranches' : 'unprotectBranches',
      tag: 'access',
      summary:
        method === 'PUT'
          ? 'Protect the branches matching a pattern (main, release/*, release/**, refs/tags/v*)'
          : 'Remove a protected-branch pattern',
      access: 'user',
      body: RepoPatternBody,
      responses:
        method === 'PUT'
          ? { 200: { description: 'The patterns now', schema: ProtectedSchema } }
          : { 204: { description: 'Removed' } },
      errors,
      handler: async (request, reply) => {
        const repo = parseAccessPath(request.body.repo);
        (await request.permissions()).require(repo, 'admin', 'managing access');
        if (method === 'DELETE') {
          await admin.unprotect(repo, request.body.pattern);
          return reply.status(204).send();
        }
        await admin.protect(repo, request.body.pattern);
        const patterns = await admin.protectedBranches(repo);
        return { repo, items: patterns.map((entry) => entry.pattern) };
      },
    });
  }
}
