import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './deps.js';

/** `/healthz` (process is up), `/readyz` (dependencies reachable) and `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, deps: RouteContext): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = deps.isReady ? await deps.isReady().catch(() => false) : true;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });
}
