import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SyncService } from '../../sync/sync-service.js';
import type { ErrorStatus, routesOf } from '../api/operation.js';
import type { UserPrincipal } from '../../access/principal.js';
import { requireTenantAccess } from './sync-access.js';

/** What each file of sync routes declares its routes with. */
export interface SyncRouteKit {
  readonly route: ReturnType<typeof routesOf>;
  readonly service: SyncService;
  /** The `:tenant` of the path, once the signed-in user may act in it (401/403/404 otherwise). */
  readonly tenantOf: (request: FastifyRequest) => Promise<{ tenant: number; user: UserPrincipal }>;
}

export const PREFIX = '/api/v1/sync';
/** Ids in paths and queries: decimal digits only (no `1e3`, `0x10`, signs or spaces). */
export const id = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, 'must be a positive decimal id')
  .transform(Number);
export const bodyId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const tenantId = id.describe('Tenant id');
export const TenantParams = z.object({ tenant: tenantId });
export const ItemParams = z.object({ tenant: tenantId, id: id.describe('Id') });
export const RequestParams = z.object({
  tenant: tenantId,
  request: z.string().uuid().describe('Request id'),
});

/** What every route below /tenants/:tenant may answer besides 400/401. */
export const TENANT_ERRORS: Partial<Record<ErrorStatus, string>> = {
  403: 'Not an administrator or member of the tenant',
  404: 'No such tenant (or item in it)',
};
export const WRITE_ERRORS: Partial<Record<ErrorStatus, string>> = {
  ...TENANT_ERRORS,
  409: 'A credential or repository with this name exists, or the credential is in use',
};
export const tenantRoute = { tag: 'sync', access: 'user', errors: TENANT_ERRORS } as const;

/** The kit of `syncRoutes`: `tenantOf` checks access through the service. */
export function syncRouteKit(route: SyncRouteKit['route'], service: SyncService): SyncRouteKit {
  const tenantOf = async (request: FastifyRequest) => {
    const { tenant } = request.params as { tenant: number };
    const user = await requireTenantAccess(request, service, tenant);
    return { tenant, user };
  };
  return { route, service, tenantOf };
}
