import type { FastifyInstance } from 'fastify';
import { routesOf } from '../api/operation.js';
import type { RouteContext } from '../deps.js';
import { syncCredentialRoutes } from './sync-credential-routes.js';
import { syncEventRoutes } from './sync-event-routes.js';
import { syncLogRoutes } from './sync-log-routes.js';
import { syncRepositoryRoutes } from './sync-repository-routes.js';
import { syncRouteKit } from './sync-route-kit.js';
import { syncTenantRoutes } from './sync-tenant-routes.js';

/**
 * REST API of the sync workers (seed §3.1, §8), JSON under /api/v1/sync, token auth, every
 * route below /tenants/:tenant scoped to that tenant. Secrets are accepted on write and never
 * returned; triggering answers 202 with the durable request id.
 */
export async function syncRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const kit = syncRouteKit(routesOf(app), ctx.sync);
  // In this order: it is the order of the OpenAPI document.
  syncTenantRoutes(kit);
  syncCredentialRoutes(kit);
  syncRepositoryRoutes(kit);
  syncLogRoutes(kit);
  syncEventRoutes(app, kit);
}
