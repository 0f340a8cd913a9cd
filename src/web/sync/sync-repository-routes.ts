import { z } from 'zod';
import { RepositoryInput, RepositoryPatch } from '../../sync/sync-inputs.js';
import {
  ItemParams,
  PREFIX,
  RequestParams,
  TenantParams,
  tenantRoute,
  WRITE_ERRORS,
  type SyncRouteKit,
} from './sync-route-kit.js';
import { RequestIdSchema, SyncRepositorySchema } from './sync-schemas.js';

const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30).describe('Page size (≤ 100)'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('Rows to skip'),
});

/** A tenant's sync repositories, manual triggers (202 with the durable request id) and what workers did with a request. */
export function syncRepositoryRoutes({ route, service, tenantOf }: SyncRouteKit): void {
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
}
