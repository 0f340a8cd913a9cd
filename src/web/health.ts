import type { FastifyInstance } from 'fastify';
import { METRICS_CHALLENGE, metricsAllowed } from '../platform/metrics-access.js';
import { readinessBody } from '../platform/readiness.js';
import type { RouteContext } from './deps.js';
import { RETRY_AFTER_SECONDS } from './error-handler.js';

/** `/healthz` (process is up), `/readyz` (dependencies reachable) and `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, deps: RouteContext): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const body = readinessBody(await deps.readiness());
    if (body.status !== 'ready') void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return reply.status(body.status === 'ready' ? 200 : 503).send(body);
  });
  app.get('/metrics', async (request, reply) => {
    if (!metricsAllowed(deps.config.metricsToken, request.headers.authorization)) {
      return reply
        .status(401)
        .header('WWW-Authenticate', METRICS_CHALLENGE)
        .send({
          error: { code: 'metrics_token_required', message: 'metrics need the metrics token', details: {} },
        });
    }
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });
}
