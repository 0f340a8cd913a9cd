import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../platform/errors.js';
import {
  CredentialInput,
  CredentialPatch,
  RepositoryInput,
  RepositoryPatch,
  TenantInput,
} from '../../sync/sync-inputs.js';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { parseInput } from '../api/query.js';
import type { RouteContext } from '../deps.js';
import { requireAdmin, requireUser } from '../principal.js';
import { requireTenantAccess } from './sync-access.js';

/**
 * REST API of the sync workers (seed §3.1, §8), JSON under /api/v1/sync, token auth, every
 * route below /tenants/:tenant scoped to that tenant. Secrets are accepted on write and never
 * returned; triggering answers 202 with the durable request id.
 */
const PREFIX = '/api/v1/sync';
const MAX_LOG_PAGE = 200;
/** Ids in paths and queries: decimal digits only (no `1e3`, `0x10`, signs or spaces). */
const id = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, 'must be a positive decimal id')
  .transform(Number);
const bodyId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const TenantParams = z.object({ tenant: id });
const ItemParams = z.object({ tenant: id, id });
const RequestParams = z.object({ tenant: id, request: z.string().uuid() });
const isoTime = z.string().datetime();
const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const LogQuery = z
  .object({
    repository_id: id.optional(),
    status: z.enum(['running', 'success', 'failed', 'skipped']).optional(),
    task_type: z.string().max(16).optional(),
    worker_id: z.string().max(100).optional(),
    error_class: z.string().max(32).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LOG_PAGE).default(50),
    before: id.optional(),
  })
  .strict();
const SummaryQuery = z.object({ repository_id: id.optional(), since: isoTime.optional() }).strict();
const MemberBody = z.object({ user_id: bodyId }).strict();

/** A JSON object body (null, arrays and scalars are refused, not read as empty). */
function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body_invalid', 'the request body must be a JSON object');
  }
  return parseInput(schema, body, 'body');
}

export async function syncRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const service = ctx.sync;
  const tenantOf = async (request: Parameters<typeof requireTenantAccess>[0]) => {
    const { tenant } = parseInput(TenantParams.passthrough(), request.params, 'path');
    const user = await requireTenantAccess(request, service, tenant);
    return { tenant, user };
  };

  app.get(`${PREFIX}/tenants`, async (request) => {
    const user = requireUser(request.principal);
    return { tenants: await service.listTenants(user.isAdmin ? undefined : user.userId) };
  });
  app.post(`${PREFIX}/tenants`, async (request, reply) => {
    requireAdmin(request.principal);
    const input = parseBody(TenantInput, request.body);
    return reply.status(201).send(await service.createTenant(input.name));
  });
  app.post(`${PREFIX}/tenants/:tenant/members`, async (request, reply) => {
    requireAdmin(request.principal);
    const { tenant } = parseInput(TenantParams, request.params, 'path');
    const { user_id } = parseBody(MemberBody, request.body);
    await service.tenant(tenant);
    await service.addTenantMember(tenant, user_id);
    return reply.status(204).send();
  });

  app.get(`${PREFIX}/tenants/:tenant/credentials`, async (request) => {
    const { tenant } = await tenantOf(request);
    return { credentials: await service.listCredentials(tenant) };
  });
  app.post(`${PREFIX}/tenants/:tenant/credentials`, async (request, reply) => {
    const { tenant } = await tenantOf(request);
    return reply
      .status(201)
      .send(await service.addCredential(tenant, parseBody(CredentialInput, request.body)));
  });
  app.get(`${PREFIX}/tenants/:tenant/credentials/:id`, async (request) => {
    const { tenant } = await tenantOf(request);
    return service.credential(tenant, parseInput(ItemParams, request.params, 'path').id);
  });
  app.patch(`${PREFIX}/tenants/:tenant/credentials/:id`, async (request) => {
    const { tenant } = await tenantOf(request);
    const { id: credentialId } = parseInput(ItemParams, request.params, 'path');
    return service.updateCredential(tenant, credentialId, parseBody(CredentialPatch, request.body));
  });
  app.delete(`${PREFIX}/tenants/:tenant/credentials/:id`, async (request, reply) => {
    const { tenant } = await tenantOf(request);
    await service.deleteCredential(tenant, parseInput(ItemParams, request.params, 'path').id);
    return reply.status(204).send();
  });

  app.get(`${PREFIX}/tenants/:tenant/repositories`, async (request) => {
    const { tenant } = await tenantOf(request);
    return { repositories: await service.listRepositories(tenant, parseInput(PageQuery, request.query)) };
  });
  app.post(`${PREFIX}/tenants/:tenant/repositories`, async (request, reply) => {
    const { tenant } = await tenantOf(request);
    return reply
      .status(201)
      .send(await service.createRepository(tenant, parseBody(RepositoryInput, request.body)));
  });
  app.get(`${PREFIX}/tenants/:tenant/repositories/:id`, async (request) => {
    const { tenant } = await tenantOf(request);
    return service.repository(tenant, parseInput(ItemParams, request.params, 'path').id);
  });
  app.patch(`${PREFIX}/tenants/:tenant/repositories/:id`, async (request) => {
    const { tenant } = await tenantOf(request);
    const { id: repositoryId } = parseInput(ItemParams, request.params, 'path');
    return service.updateRepository(tenant, repositoryId, parseBody(RepositoryPatch, request.body));
  });
  app.delete(`${PREFIX}/tenants/:tenant/repositories/:id`, async (request, reply) => {
    const { tenant, user } = await tenantOf(request);
    const requestId = await service.deleteRepository(
      tenant,
      parseInput(ItemParams, request.params, 'path').id,
      user.userId,
    );
    return reply.status(202).send({ request_id: requestId });
  });
  app.post(`${PREFIX}/tenants/:tenant/repositories/:id/sync`, async (request, reply) => {
    const { tenant, user } = await tenantOf(request);
    const { id: repositoryId } = parseInput(ItemParams, request.params, 'path');
    const requestId = await service.trigger(tenant, repositoryId, {
      taskType: 'manual',
      operatorId: user.userId,
    });
    return reply.status(202).send({ request_id: requestId });
  });
  app.get(`${PREFIX}/tenants/:tenant/requests/:request`, async (request) => {
    await tenantOf(request);
    const { request: requestId } = parseInput(RequestParams, request.params, 'path');
    return { request_id: requestId, results: await service.requestStatus(requestId) };
  });

  app.get(`${PREFIX}/tenants/:tenant/logs`, async (request) => {
    const { tenant } = await tenantOf(request);
    const query = parseInput(LogQuery, request.query);
    const rows = await service.listLogs(
      {
        tenantId: tenant,
        repositoryId: query.repository_id,
        status: query.status,
        taskType: query.task_type,
        workerId: query.worker_id,
        errorClass: query.error_class,
        since: query.since,
        until: query.until,
      },
      { limit: query.limit, beforeId: query.before },
    );
    const last = rows[rows.length - 1];
    return { logs: rows.map(logJson), next_before: rows.length === query.limit && last ? last.id : null };
  });
  app.get(`${PREFIX}/tenants/:tenant/logs/:id`, async (request) => {
    const { tenant } = await tenantOf(request);
    return logJson(await service.log(tenant, parseInput(ItemParams, request.params, 'path').id));
  });
  app.get(`${PREFIX}/tenants/:tenant/summary`, async (request) => {
    const { tenant } = await tenantOf(request);
    const query = parseInput(SummaryQuery, request.query);
    const summary = await service.summary(tenant, query.repository_id, query.since);
    const finished = summary.success + summary.failed;
    return {
      total: summary.total,
      success: summary.success,
      failed: summary.failed,
      running: summary.running,
      success_rate: finished === 0 ? null : summary.success / finished,
      average_duration: summary.averageDurationMs === null ? null : summary.averageDurationMs / 1000,
      failure_reasons: summary.failuresByClass,
      storage_bytes: summary.storageBytes,
    };
  });
}

/** A log row with the seed's field names (`duration` in seconds). */
function logJson(row: SyncLogRow) {
  const { duration_ms, ...rest } = row;
  return { ...rest, duration: duration_ms === null ? null : duration_ms / 1000 };
}
