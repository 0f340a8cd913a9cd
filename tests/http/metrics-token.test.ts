import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/platform/metrics.js';
import { startWorkerHttp } from '../../src/sync/worker-http.js';
import { startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

const TOKEN = 'scrape-token-0123456789abcdef';

/** `MEGA_METRICS_TOKEN`: `/metrics` of `mega serve` and of a worker answer only with the token. */
describe('the metrics token', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  beforeAll(async () => {
    dir = await makeTempDir('mega-metrics-');
    server = await startMegaServer({
      dataDir: dir.path,
      args: ['--no-worker'],
      env: { MEGA_METRICS_TOKEN: TOKEN },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await dir?.remove();
  });

  it('mega serve: 401 with a Bearer challenge without it or with another, the metrics with it', async () => {
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await anonymous.text()).not.toContain('mega_');
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const scraped = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('mega_');
    expect(server.output()).not.toContain(TOKEN);
    // Health endpoints stay open for probes.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("a worker's listener: the same rule", async () => {
    const http = await startWorkerHttp(
      { registry: createMetricsRegistry(), readiness: async () => [], metricsToken: TOKEN },
      '127.0.0.1',
      0,
    );
    try {
      expect((await fetch(`${http.url}/metrics`)).status).toBe(401);
      const scraped = await fetch(`${http.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
    }
  });

  it('refuses a token shorter than 16 characters at start-up', async () => {
    await expect(
      startMegaServer({ dataDir: dir.path, args: ['--no-worker'], env: { MEGA_METRICS_TOKEN: 'short' } }),
    ).rejects.toThrow(/metricsToken|MEGA_METRICS_TOKEN/);
  });
});
