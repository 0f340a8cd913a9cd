import type { FastifyRequest } from 'fastify';
import { forbidden } from '../../platform/errors.js';
import type { SyncService } from '../../sync/sync-service.js';
import { requireUser, type UserPrincipal } from '../../access/principal.js';

/** A signed-in user who is an administrator or a member of the tenant; otherwise 401/403. */
export async function requireTenantAccess(
  request: FastifyRequest,
  service: SyncService,
  tenantId: number,
): Promise<UserPrincipal> {
  const user = requireUser(request.principal);
  await service.tenant(tenantId);
  if (user.isAdmin || (await service.isTenantMember(tenantId, user.userId))) return user;
  throw forbidden('tenant_forbidden', 'no access to this tenant');
}
