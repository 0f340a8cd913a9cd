import type { FastifyInstance } from 'fastify';
import { METRICS_CHALLENGE, metricsAllowed } from '../platform/metrics-access.js';
import { readinessBody } from '../platform/readiness.js';
import type { RouteContext } from './deps.js';
import { MegaError } from '../platform/errors.js';
import { RETRY_AFTER_SECONDS, problemBody, sendProblem } from './error-handler.js';

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
      const refusal = new MegaError(
        'unauthorized',
        'metrics_token_required',
        'metrics need the metrics token',
      );
      return sendProblem(reply.header('WWW-Authenticate', METRICS_CHALLENGE), problemBody(refusal, request));
    }
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });
}
