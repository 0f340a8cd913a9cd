import { z } from 'zod';
import { TenantInput } from '../../sync/sync-inputs.js';
import { requireUser } from '../../access/principal.js';
import { bodyId, PREFIX, TenantParams, type SyncRouteKit } from './sync-route-kit.js';
import { TenantSchema } from './sync-schemas.js';
import { listSchema } from '../api/pagination.js';
import { camelInput, camelKeys } from './sync-wire.js';

const MemberBody = z.object({ userId: bodyId }).strict();

/** Tenants and their members (creating either is for administrators). */
export function syncTenantRoutes({ route, service }: SyncRouteKit): void {
  route({
    method: 'GET',
    path: `${PREFIX}/tenants`,
    operationId: 'listSyncTenants',
    tag: 'sync',
    summary: 'Tenants you can see',
    access: 'user',
    responses: { 200: { description: 'The tenants', schema: listSchema(TenantSchema) } },
    handler: async (request) => {
      const user = requireUser(request.principal);
      return { items: (await service.listTenants(user.isAdmin ? undefined : user.userId)).map(camelKeys) };
    },
  });
  route({
    method: 'POST',
    path: `${PREFIX}/tenants`,
    operationId: 'createSyncTenant',
    tag: 'sync',
    summary: 'Create a tenant (admin)',
    access: 'admin',
    body: camelInput(TenantInput),
    responses: { 201: { description: 'The new tenant', schema: TenantSchema } },
    errors: { 409: 'A tenant with this name exists' },
    handler: async (request, reply) => {
      const input = request.body;
      return reply.status(201).send(camelKeys(await service.createTenant(input.name)));
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
      const { userId } = request.body;
      await service.tenant(tenant);
      await service.addTenantMember(tenant, userId);
      return reply.status(204).send();
    },
  });
}
