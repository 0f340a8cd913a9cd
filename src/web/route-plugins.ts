import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './deps.js';
import { apiRoutes } from './api/api-routes.js';
import { healthRoutes } from './health.js';
import { gitRoutes } from './git/routes.js';
import { uiRoutes } from './ui/ui-routes.js';
import { lfsRoutes } from './lfs/routes.js';
import { syncRoutes } from './sync/sync-routes.js';
import { reviewRoutes } from './review/routes.js';
import { githubRoutes } from './github/github-routes.js';

/**
 * THE extension point: every area registers its HTTP routes by adding one line here.
 * A plugin gets the Fastify instance and the shared `RouteContext`; REST routes are declared with
 * `routesOf(app)` (validation and OpenAPI from one declaration), routes under a
 * repository path go through `ctx.repoRouter.add(…)`.
 */
export type RoutePlugin = (app: FastifyInstance, ctx: RouteContext) => Promise<void>;

export const ROUTE_PLUGINS: ReadonlyArray<readonly [name: string, plugin: RoutePlugin]> = [
  ['health', healthRoutes],
  ['git', gitRoutes],
  ['api', apiRoutes],
  ['ui', uiRoutes()],
  ['lfs', lfsRoutes],
  ['sync', syncRoutes],
  ['review', reviewRoutes],
  ['github', githubRoutes],
];
