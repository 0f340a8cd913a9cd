import { CredentialInput, CredentialPatch } from '../../sync/sync-inputs.js';
import {
  ItemParams,
  PREFIX,
  TENANT_ERRORS,
  TenantParams,
  tenantRoute,
  WRITE_ERRORS,
  type SyncRouteKit,
} from './sync-route-kit.js';
import { CredentialSchema } from './sync-schemas.js';
import { listSchema } from '../api/pagination.js';
import { camelInput, camelKeys } from './sync-wire.js';

/** A tenant's credentials; secrets are accepted on write and never returned. */
export function syncCredentialRoutes({ route, service, tenantOf }: SyncRouteKit): void {
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/credentials`,
    operationId: 'listSyncCredentials',
    summary: 'Credentials (secrets never returned)',
    params: TenantParams,
    responses: {
      200: { description: 'The credentials', schema: listSchema(CredentialSchema) },
    },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return { items: (await service.listCredentials(tenant)).map(camelKeys) };
    },
  });
  route({
    ...tenantRoute,
    method: 'POST',
    path: `${PREFIX}/tenants/:tenant/credentials`,
    operationId: 'createSyncCredential',
    summary: 'Add a credential; the secret is write-only',
    params: TenantParams,
    body: camelInput(CredentialInput),
    responses: { 201: { description: 'The new credential', schema: CredentialSchema } },
    errors: WRITE_ERRORS,
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      return reply.status(201).send(camelKeys(await service.addCredential(tenant, request.body)));
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
      return camelKeys(await service.credential(tenant, request.params.id));
    },
  });
  route({
    ...tenantRoute,
    method: 'PATCH',
    path: `${PREFIX}/tenants/:tenant/credentials/:id`,
    operationId: 'updateSyncCredential',
    summary: 'Change a credential (a new secret replaces the old one)',
    params: ItemParams,
    body: camelInput(CredentialPatch),
    responses: { 200: { description: 'The credential', schema: CredentialSchema } },
    errors: WRITE_ERRORS,
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const { id: credentialId } = request.params;
      return camelKeys(await service.updateCredential(tenant, credentialId, request.body));
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
}
