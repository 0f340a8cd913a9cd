import { createServer, type Server } from 'node:http';
import { METRICS_CHALLENGE, metricsAllowed } from '../platform/metrics-access.js';
import type { Registry } from '../platform/metrics.js';
import { readinessBody, type ReadinessCheck } from '../platform/readiness.js';

/** Seconds a failing `/readyz` asks a probe to wait, as `mega serve` does. */
const RETRY_AFTER_SECONDS = 10;

/**
 * The worker's own small HTTP listener (`mega worker --port`): `/healthz` (the process answers),
 * `/readyz` (every dependency — database, disk, the
 * worker's subscription, Redis — with its state, in `mega serve`'s body) and `/metrics` (Prometheus). No request body
 * is read and nothing else is served.
 */
export interface WorkerHttpDeps {
  readonly registry: Registry;
  readonly readiness: ReadinessCheck;
  /** `MEGA_METRICS_TOKEN`: when set, `/metrics` needs it as a Bearer token. */
  readonly metricsToken?: string;
}

export async function startWorkerHttp(
  deps: WorkerHttpDeps,
  host: string,
  port: number,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      response.end(body);
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, 'application/json', '{"error":"method_not_allowed"}');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      const retry = { 'retry-after': String(RETRY_AFTER_SECONDS) };
      deps.readiness().then(
        (states) => {
          const body = readinessBody(states);
          const ready = body.status === 'ready';
          send(ready ? 200 : 503, 'application/json', JSON.stringify(body), ready ? {} : retry);
        },
        // A ReadinessCheck never throws; should one, the answer is still "not ready", not a hang.
        () => send(503, 'application/json', '{"status":"not_ready","dependencies":{}}', retry),
      );
      return;
    }
    if (path === '/metrics') {
      if (!metricsAllowed(deps.metricsToken, request.headers.authorization)) {
        return send(401, 'application/json', '{"error":"metrics_token_required"}', {
          'www-authenticate': METRICS_CHALLENGE,
        });
      }
      deps.registry.metrics().then(
        (body) => send(200, deps.registry.contentType, body),
        (error: unknown) => send(500, 'text/plain', `metrics failed: ${String(error)}`),
      );
      return;
    }
    send(404, 'application/json', '{"error":"not_found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${actualPort}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
