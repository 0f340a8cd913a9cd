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
import { camelInput, camelKeys } from './sync-wire.js';
import { offsetPage, offsetPaging, pageSchema, sendPage } from '../api/pagination.js';

const PageQuery = z.object(offsetPaging());

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
        schema: pageSchema(SyncRepositorySchema),
      },
    },
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      const position = { offset: request.query.cursor, limit: request.query.limit };
      // One more than the page: whether a next page exists.
      const rows = await service.listRepositories(tenant, {
        offset: position.offset,
        limit: position.limit + 1,
      });
      return sendPage(request, reply, offsetPage(rows.map(camelKeys), position));
    },
  });
  route({
    ...tenantRoute,
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/repositories`,
    operationId: 'createSyncRepository',
    summary: 'Register a repository',
    params: TenantParams,
    body: camelInput(RepositoryInput),
    responses: { 201: { description: 'The new repository', schema: SyncRepositorySchema } },
    errors: WRITE_ERRORS,
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      return reply.status(201).send(camelKeys(await service.createRepository(tenant, request.body)));
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
      return camelKeys(await service.repository(tenant, request.params.id));
    },
  });
  route({
    ...tenantRoute,
    method: 'PATCH',
    path: `${PREFIX}/tenants/:tenant/repositories/:id`,
    operationId: 'updateSyncRepository',
    summary: 'Change a sync repository',
    params: ItemParams,
    body: camelInput(RepositoryPatch),
    responses: { 200: { description: 'The repository', schema: SyncRepositorySchema } },
    errors: WRITE_ERRORS,
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const { id: repositoryId } = request.params;
      return camelKeys(await service.updateRepository(tenant, repositoryId, request.body));
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
      return reply.status(202).send({ requestId });
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
      return reply.status(202).send({ requestId });
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
          results: z.array(z.object({ workerId: z.string(), status: z.string() })),
        }),
      },
    },
    handler: async (request) => {
      await tenantOf(request);
      const { request: requestId } = request.params;
      return { requestId, results: (await service.requestStatus(requestId)).map(camelKeys) };
    },
  });
}
