import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CredentialInput,
  CredentialPatch,
  RepositoryInput,
  RepositoryPatch,
  TenantInput,
} from '../../sync/sync-inputs.js';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { routesOf, type ErrorStatus } from '../api/operation.js';
import type { RouteContext } from '../deps.js';
import { requireUser } from '../principal.js';
import { requireTenantAccess } from './sync-access.js';
import {
  CredentialSchema,
  RequestIdSchema,
  SyncLogSchema,
  SyncRepositorySchema,
  SyncSummarySchema,
  TenantSchema,
} from './sync-schemas.js';

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
const tenantId = id.describe('Tenant id');
const TenantParams = z.object({ tenant: tenantId });
const ItemParams = z.object({ tenant: tenantId, id: id.describe('Id') });
const RequestParams = z.object({ tenant: tenantId, request: z.string().uuid().describe('Request id') });
const isoTime = z.string().datetime();
const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30).describe('Page size (≤ 100)'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('Rows to skip'),
});
const LogQuery = z
  .object({
    repository_id: id.optional().describe('One repository'),
    status: z.enum(['running', 'success', 'failed', 'skipped']).optional().describe('One status'),
    task_type: z.string().max(16).optional().describe('scheduled, manual, …'),
    worker_id: z.string().max(100).optional().describe('One worker'),
    error_class: z.string().max(32).optional().describe('auth, not_found, network, timeout, …'),
    since: isoTime.optional().describe('ISO time'),
    until: isoTime.optional().describe('ISO time'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_LOG_PAGE)
      .default(50)
      .describe(`Page size (≤ ${MAX_LOG_PAGE})`),
    before: id.optional().describe('Page: rows with a smaller id'),
  })
  .strict();
const SummaryQuery = z
  .object({
    repository_id: id.optional().describe('One repository'),
    since: isoTime.optional().describe('ISO time'),
  })
  .strict();
const MemberBody = z.object({ user_id: bodyId }).strict();

/** What every route below /tenants/:tenant may answer besides 400/401. */
const TENANT_ERRORS: Partial<Record<ErrorStatus, string>> = {
  403: 'Not an administrator or member of the tenant',
  404: 'No such tenant (or item in it)',
};
const WRITE_ERRORS: Partial<Record<ErrorStatus, string>> = {
  ...TENANT_ERRORS,
  409: 'A credential or repository with this name exists, or the credential is in use',
};
const tenantRoute = { tag: 'sync', access: 'user', errors: TENANT_ERRORS } as const;

export async function syncRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const service = ctx.sync;
  const tenantOf = async (request: Parameters<typeof requireTenantAccess>[0]) => {
    const { tenant } = request.params as { tenant: number };
    const user = await requireTenantAccess(request, service, tenant);
    return { tenant, user };
  };
  const route = routesOf(app, ctx.config);

  route({
    method: 'GET',
    path: `${PREFIX}/tenants`,
    operationId: 'listSyncTenants',
    tag: 'sync',
    summary: 'Tenants you can see',
    access: 'user',
    responses: { 200: { description: 'The tenants', schema: z.object({ tenants: z.array(TenantSchema) }) } },
    handler: async (request) => {
      const user = requireUser(request.principal);
      return { tenants: await service.listTenants(user.isAdmin ? undefined : user.userId) };
    },
  });
  route({
    method: 'POST',
    path: `${PREFIX}/tenants`,
    operationId: 'createSyncTenant',
    tag: 'sync',
    summary: 'Create a tenant (admin)',
    access: 'admin',
    body: TenantInput,
    responses: { 201: { description: 'The new tenant', schema: TenantSchema } },
    errors: { 409: 'A tenant with this name exists' },
    handler: async (request, reply) => {
      const input = request.body;
      return reply.status(201).send(await service.createTenant(input.name));
    },
  });
  route({
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/members`,
    operationId: 'addSyncTenantMember',
    tag: 'sync',
    summary: 'Add a user to the tenant (admin)',
    access: 'admin',
    params: TenantParams,
    body: MemberBody,
    responses: { 204: { description: 'Added' } },
    errors: { 404: 'No such tenant or user' },
    handler: async (request, reply) => {
      const { tenant } = request.params;
      const { user_id } = request.body;
      await service.tenant(tenant);
      await service.addTenantMember(tenant, user_id);
      return reply.status(204).send();
    },
  });

  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/credentials`,
    operationId: 'listSyncCredentials',
    summary: 'Credentials (secrets never returned)',
    params: TenantParams,
    responses: {
      200: { description: 'The credentials', schema: z.object({ credentials: z.array(CredentialSchema) }) },
    },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return { credentials: await service.listCredentials(tenant) };
    },
  });
  route({
    ...tenantRoute,
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/credentials`,
    operationId: 'createSyncCredential',
    summary: 'Add a credential; the secret is write-only',
    params: TenantParams,
    body: CredentialInput,
    responses: { 201: { description: 'The new credential', schema: CredentialSchema } },
    errors: WRITE_ERRORS,
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      return reply.status(201).send(await service.addCredential(tenant, request.body));
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/credentials/:id`,
    operationId: 'getSyncCredential',
    summary: 'One credential (without its secret)',
    params: ItemParams,
    responses: { 200: { description: 'The credential', schema: CredentialSchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return service.credential(tenant, request.params.id);
    },
  });
  route({
    ...tenantRoute,
    method: 'PATCH',
    path: `${PREFIX}/tenants/:tenant/credentials/:id`,
    operationId: 'updateSyncCredential',
    summary: 'Change a credential (a new secret replaces the old one)',
    params: ItemParams,
    body: CredentialPatch,
    responses: { 200: { description: 'The credential', schema: CredentialSchema } },
    errors: WRITE_ERRORS,
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const { id: credentialId } = request.params;
      return service.updateCredential(tenant, credentialId, request.body);
    },
  });
  route({
    ...tenantRoute,
    method: 'DELETE',
    path: `${PREFIX}/tenants/:tenant/credentials/:id`,
    operationId: 'deleteSyncCredential',
    summary: 'Delete a credential no repository uses',
    params: ItemParams,
    responses: { 204: { description: 'Deleted' } },
    errors: { ...TENANT_ERRORS, 409: 'The credential is used by a repository' },
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      await service.deleteCredential(tenant, request.params.id);
      return reply.status(204).send();
    },
  });

  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/repositories`,
    operationId: 'listSyncRepositories',
    summary: 'Sync repositories',
    params: TenantParams,
    query: PageQuery,
    responses: {
      200: {
        description: 'One page of repositories',
        schema: z.object({ repositories: z.array(SyncRepositorySchema) }),
      },
    },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return { repositories: await service.listRepositories(tenant, request.query) };
    },
  });
  route({
    ...tenantRoute,
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/repositories`,
    operationId: 'createSyncRepository',
    summary: 'Register a repository',
    params: TenantParams,
    body: RepositoryInput,
    responses: { 201: { description: 'The new repository', schema: SyncRepositorySchema } },
    errors: WRITE_ERRORS,
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      return reply.status(201).send(await service.createRepository(tenant, request.body));
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/repositories/:id`,
    operationId: 'getSyncRepository',
    summary: 'One sync repository',
    params: ItemParams,
    responses: { 200: { description: 'The repository', schema: SyncRepositorySchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return service.repository(tenant, request.params.id);
    },
  });
  route({
    ...tenantRoute,
    method: 'PATCH',
    path: `${PREFIX}/tenants/:tenant/repositories/:id`,
    operationId: 'updateSyncRepository',
    summary: 'Change a sync repository',
    params: ItemParams,
    body: RepositoryPatch,
    responses: { 200: { description: 'The repository', schema: SyncRepositorySchema } },
    errors: WRITE_ERRORS,
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const { id: repositoryId } = request.params;
      return service.updateRepository(tenant, repositoryId, request.body);
    },
  });
  route({
    ...tenantRoute,
    method: 'DELETE',
    path: `${PREFIX}/tenants/:tenant/repositories/:id`,
    operationId: 'deleteSyncRepository',
    summary: 'Delete it and every worker copy',
    params: ItemParams,
    responses: { 202: { description: 'Deletion requested', schema: RequestIdSchema } },
    handler: async (request, reply) => {
      const { tenant, user } = await tenantOf(request);
      const requestId = await service.deleteRepository(tenant, request.params.id, user.userId);
      return reply.status(202).send({ request_id: requestId });
    },
  });
  route({
    ...tenantRoute,
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/repositories/:id/sync`,
    operationId: 'triggerSync',
    summary: 'Trigger a manual sync',
    params: ItemParams,
    responses: { 202: { description: 'Sync requested', schema: RequestIdSchema } },
    handler: async (request, reply) => {
      const { tenant, user } = await tenantOf(request);
      const { id: repositoryId } = request.params;
      const requestId = await service.trigger(tenant, repositoryId, {
        taskType: 'manual',
        operatorId: user.userId,
      });
      return reply.status(202).send({ request_id: requestId });
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/requests/:request`,
    operationId: 'getSyncRequest',
    summary: 'What each worker did with a request',
    params: RequestParams,
    responses: {
      200: {
        description: 'Per-worker results',
        schema: RequestIdSchema.extend({
          results: z.array(z.object({ worker_id: z.string(), status: z.string() })),
        }),
      },
    },
    handler: async (request) => {
      await tenantOf(request);
      const { request: requestId } = request.params;
      return { request_id: requestId, results: await service.requestStatus(requestId) };
    },
  });

  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/logs`,
    operationId: 'listSyncLogs',
    summary: 'Sync log, newest first, filtered',
    params: TenantParams,
    query: LogQuery,
    responses: {
      200: {
        description: 'One page of the log; `next_before` pages on',
        schema: z.object({ logs: z.array(SyncLogSchema), next_before: z.int().nullable() }),
      },
    },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const query = request.query;
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
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/logs/:id`,
    operationId: 'getSyncLog',
    summary: 'One sync log row',
    params: ItemParams,
    responses: { 200: { description: 'The row', schema: SyncLogSchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return logJson(await service.log(tenant, request.params.id));
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/summary`,
    operationId: 'getSyncSummary',
    summary: 'Success rate, average duration, failure reasons, storage used',
    params: TenantParams,
    query: SummaryQuery,
    responses: { 200: { description: 'The summary', schema: SyncSummarySchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const query = request.query;
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
    },
  });
}

/** A log row with the seed's field names (`duration` in seconds). */
function logJson(row: SyncLogRow) {
  const { duration_ms, ...rest } = row;
  return { ...rest, duration: duration_ms === null ? null : duration_ms / 1000 };
}
