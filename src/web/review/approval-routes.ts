import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseAccessPath } from '../../access/paths.js';
import { requireUser } from '../../access/principal.js';
import type { Actor } from '../../review/merge-gates.js';
import type { RouteContext } from '../deps.js';
import { routesOf } from '../api/operation.js';

const NumberParams = z.object({
  number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Merge request number'),
});
const PathText = z.string().min(1).max(1024);

const ApprovalSchema = z.object({
  username: z.string(),
  commit: z.string().describe('The pushed commit approved'),
  createdAt: z.string(),
  stale: z.boolean().describe('Approved an older push: shown, not counted'),
});
const ApprovalsSchema = z.object({ items: z.array(ApprovalSchema) });

const MergeStatusSchema = z.object({
  number: z.int(),
  canMerge: z.boolean().describe('Whether the caller may merge now'),
  mergeability: z.string(),
  blockers: z
    .array(
      z.object({
        gate: z.string(),
        code: z.string(),
        message: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    )
    .describe('Every reason the merge is refused (all gates run)'),
  approvals: z.object({
    required: z.int(),
    given: z.array(z.string()),
    stale: z.array(z.string()),
    list: z.array(ApprovalSchema),
  }),
  codeOwners: z.array(
    z.object({
      source: z.string().describe('repository:path of the CODEOWNERS file (`/:` for the directory)'),
      section: z.string(),
      optional: z.boolean(),
      pattern: z.string(),
      line: z.int(),
      owners: z.array(z.string()),
      paths: z.array(z.string()),
      eligible: z.array(z.string()),
      approvedBy: z.array(z.string()),
      satisfied: z.boolean(),
    }),
  ),
  checks: z.array(
    z.object({
      repoPath: z.string(),
      commit: z.string(),
      context: z.string(),
      state: z.string().describe('success, pending, failure, error, or missing'),
      required: z.boolean(),
    }),
  ),
  warnings: z.array(z.string()).describe('CODEOWNERS files ignored, lines skipped, owners naming nobody'),
});

const RuleSchema = z.object({
  path: z.string(),
  requiredApprovals: z.int().nullable().describe('Set on this path; null: inherited'),
  requiredChecks: z.array(z.string()).nullable().describe('Set on this path; null: inherited'),
  effective: z.object({
    requiredApprovals: z.int(),
    approvalsFrom: z.string().optional().describe('The path the value comes from'),
    requiredChecks: z.array(z.string()),
    checksFrom: z.string().optional(),
  }),
});

/**
 * Approvals (`POST …/:number/approve|unapprove`, `GET …/approvals`), the merge status that says
 * every reason a merge is refused (`GET …/:number/merge-status`), and the review rules per path
 * (`GET|PUT|DELETE /api/v1/review-rules?path=`): readers of a path see its rule, changing it
 * needs the admin role there.
 */
export async function approvalRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const approvals = ctx.review.approvals;
  const route = routesOf(app);

  const actorOf = async (request: Parameters<Parameters<typeof route>[0]['handler']>[0]): Promise<Actor> => {
    const principal = request.principal;
    return {
      username: principal.kind === 'user' ? principal.username : '',
      ...(principal.kind === 'user' ? { userId: principal.userId } : {}),
      authority: await request.permissions(),
    };
  };

  for (const action of ['approve', 'unapprove'] as const) {
    route({
      method: 'POST',
      path: `/api/v1/merge-requests/:number/${action}`,
      operationId: `${action}MergeRequest`,
      tag: 'merge requests',
      summary:
        action === 'approve'
          ? 'Approve the current push of a merge request (not its author)'
          : 'Withdraw your approval',
      access: 'user',
      params: NumberParams,
      responses: { 200: { description: 'The approvals now', schema: ApprovalsSchema } },
      errors: {
        403: '`self_approval_not_allowed`: authors cannot approve their own merge requests',
        404: 'No such merge request (or one you cannot read)',
        409: 'Not open',
      },
      handler: async (request) => {
        requireUser(request.principal);
        const actor = await actorOf(request);
        return { items: await approvals[action](request.params.number, actor) };
      },
    });
  }

  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number/approvals',
    operationId: 'listMergeRequestApprovals',
    tag: 'merge requests',
    summary: 'Approvals of a merge request (stale ones approved an older push)',
    access: 'read',
    params: NumberParams,
    responses: { 200: { description: 'The approvals', schema: ApprovalsSchema } },
    errors: { 404: 'No such merge request' },
    handler: async (request) => ({
      items: await approvals.list(request.params.number, await actorOf(request)),
    }),
  });

  route({
    method: 'GET',
    path: '/api/v1/merge-requests/:number/merge-status',
    operationId: 'getMergeStatus',
    tag: 'merge requests',
    summary: 'Whether you may merge now, every reason why not, approvals, code owners and checks',
    access: 'read',
    params: NumberParams,
    responses: { 200: { description: 'The merge status', schema: MergeStatusSchema } },
    errors: { 404: 'No such merge request' },
    handler: async (request) => approvals.mergeStatus(request.params.number, await actorOf(request)),
  });

  const ruleView = async (path: string) => {
    const { own, effective } = await approvals.ruleAt(path);
    return {
      path,
      requiredApprovals: own?.requiredApprovals ?? null,
      requiredChecks: own?.requiredChecks ? [...own.requiredChecks] : null,
      effective: {
        requiredApprovals: effective.requiredApprovals,
        ...(effective.approvalsFrom !== undefined ? { approvalsFrom: effective.approvalsFrom } : {}),
        requiredChecks: [...effective.requiredChecks],
        ...(effective.checksFrom !== undefined ? { checksFrom: effective.checksFrom } : {}),
      },
    };
  };

  route({
    method: 'GET',
    path: '/api/v1/review-rules',
    operationId: 'getReviewRule',
    tag: 'merge requests',
    summary: "A path's review rule: its own values and the effective (inherited) ones",
    access: 'read',
    query: z.object({ path: PathText }),
    responses: { 200: { description: 'The rule', schema: RuleSchema } },
    errors: { 404: 'No such path (or one you cannot read)' },
    handler: async (request) => {
      const path = parseAccessPath(request.query.path);
      (await request.permissions()).requireRead(path);
      return ruleView(path);
    },
  });

  route({
    method: 'PUT',
    path: '/api/v1/review-rules',
    operationId: 'setReviewRule',
    tag: 'merge requests',
    summary: "Set a path's required approvals and/or required check contexts (null: inherit again)",
    access: 'user',
    body: z.object({
      path: PathText,
      requiredApprovals: z.number().nullable().optional().describe('0-100, or null to inherit'),
      requiredChecks: z
        .array(z.string().max(1024))
        .max(1000)
        .nullable()
        .optional()
        .describe('Status contexts that must be success on each repository head, or null'),
    }),
    responses: { 200: { description: 'The rule now', schema: RuleSchema } },
    errors: { 403: 'No admin role on the path', 404: 'No such path' },
    handler: async (request) => {
      const path = parseAccessPath(request.body.path);
      (await request.permissions()).require(path, 'admin', 'managing review rules');
      await approvals.setRule(path, {
        ...(request.body.requiredApprovals !== undefined
          ? { requiredApprovals: request.body.requiredApprovals }
          : {}),
        ...(request.body.requiredChecks !== undefined ? { requiredChecks: request.body.requiredChecks } : {}),
      });
      return ruleView(path);
    },
  });

  route({
    method: 'DELETE',
    path: '/api/v1/review-rules',
    operationId: 'removeReviewRule',
    tag: 'merge requests',
    summary: "Remove a path's own rule (it inherits again)",
    access: 'user',
    query: z.object({ path: PathText }),
    responses: { 204: { description: 'Removed (or there was none)' } },
    errors: { 403: 'No admin role on the path', 404: 'No such path' },
    handler: async (request, reply) => {
      const path = parseAccessPath(request.query.path);
      (await request.permissions()).require(path, 'admin', 'managing review rules');
      await approvals.removeRule(path);
      return reply.status(204).send();
    },
  });
}
