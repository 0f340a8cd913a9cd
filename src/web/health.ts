import type { FastifyInstance } from 'fastify';
import type { DependencyState } from '../platform/readiness.js';
import type { RouteContext } from './deps.js';
import { RETRY_AFTER_SECONDS } from './error-handler.js';

/** `/readyz`'s body: the verdict and every dependency's state, so an operator sees which one failed. */
export interface ReadinessBody {
  readonly status: 'ready' | 'not_ready';
  readonly dependencies: Record<string, Omit<DependencyState, 'name' | 'ok'> & { status: 'ok' | 'failing' }>;
}

function readinessBody(states: readonly DependencyState[]): ReadinessBody {
  const dependencies: ReadinessBody['dependencies'] = {};
  for (const { name, ok, ...rest } of states) dependencies[name] = { status: ok ? 'ok' : 'failing', ...rest };
  return { status: states.every((state) => state.ok) ? 'ready' : 'not_ready', dependencies };
}

/** `/healthz` (process is up), `/readyz` (dependencies reachable) and `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, deps: RouteContext): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const body = readinessBody(deps.readiness ? await deps.readiness() : []);
    if (body.status !== 'ready') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return reply.status(body.status === 'ready' ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });
}
