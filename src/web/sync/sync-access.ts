import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../../platform/errors.js';
import type { MegaDatabase } from '../../storage/open-database.js';
import { startSyncRuntime, syncRuntimeOf, type SyncRuntime } from '../../sync/sync-runtime.js';
import type { SyncService } from '../../sync/sync-service.js';
import type { RouteContext } from '../deps.js';
import { requireUser, type UserPrincipal } from '../principal.js';

/**
 * The sync service for the routes: the runtime `mega serve` started (same bus as its worker), or
 * for a server built without it (tests, other areas' fixtures) a service-only runtime made on
 * first use, so registering the routes costs nothing. Closed with the server.
 */
export function lazySyncService(app: FastifyInstance, ctx: RouteContext): () => Promise<SyncService> {
  let pending: Promise<SyncRuntime> | undefined;
  app.addHook('onClose', async () => {
    const database = ctx.database as MegaDatabase;
    if (pending && syncRuntimeOf(database) === undefined) await (await pending).close();
  });
  return async () => {
    const database = ctx.database as MegaDatabase;
    const existing = syncRuntimeOf(database);
    if (existing) return existing.service;
    pending ??= startSyncRuntime({ config: ctx.config, database, logger: ctx.logger });
    return (await pending).service;
  };
}

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
