import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { AllowedHosts } from './allowed-hosts.js';
import { WebhookDeliverer } from './deliverer.js';

/** The deliverer against a real queue (SQLite) and a local HTTP server with scripted answers. */
describe('WebhookDeliverer', () => {
  let scratch: ScratchDatabase;
  let storage: Storage;
  let base = '';
  let inFlight = 0;
  let maxInFlight = 0;
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.on('close', () => inFlight--);
    request.resume();
    request.on('end', () => {
      const path = request.url ?? '';
      if (path === '/redirect') response.writeHead(302, { location: `${base}/ok` }).end();
      else if (path === '/big') response.writeHead(200).end('x'.repeat(10_000));
      else if (path === '/hang') hanging.push(response);
      else if (path === '/slow') setTimeout(() => response.writeHead(204).end(), 20);
      else response.writeHead(200).end('ok');
    });
  });

  beforeAll(async () => {
    scratch = await createScratchDatabase('sqlite');
    storage = createStorage(scratch.database, {
      dataDir: scratch.dataDir,
      databaseUrl: scratch.url,
      largeObjectThreshold: 1 << 20,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const response of hanging) response.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await scratch?.drop();
  });

  const hookTo = async (path: string, count = 1) => {
    const store = storage.review.webhooks;
    const id = await store.create({
      path: '/',
      url: `${base}${path}`,
      secret: 'sealed',
      events: ['push'],
      active: true,
      createdBy: 'test',
      at: new Date().toISOString(),
    });
    await store.enqueue(
      Array.from({ length: count }, (_, i) => ({
        webhookId: id,
        deliveryId: `${path}-${id}-${i}`,
        event: 'push',
        payload: JSON.stringify({ n: i }),
        at: new Date(Date.now() - 1000).toISOString(),
      })),
    );
    return id;
  };
  const deliverer = (options = {}) =>
    new WebhookDeliverer(
      {
        store: storage.review.webhooks,
        target: async (id) => {
          const hook = await storage.review.webhooks.get(id);
          return hook && { url: hook.url, secret: 'the-secret' };
        },
      },
      { backoffMs: [], allowedHosts: new AllowedHosts('loopback'), ...options },
    );

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const id = await hookTo('/redirect');
    await deliverer().drain();
    const [row] = await storage.review.webhooks.deliveries(id, 10, 0);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, response_status: 302, error: 'HTTP 302' });
  });

  it('keeps only the first 4 KiB of a response body', async () => {
    const id = await hookTo('/big');
    await deliverer().drain();
    const [row] = await storage.review.webhooks.deliveries(id, 10, 0);
    expect(row?.status).toBe('delivered');
    expect(row?.response_body).toHaveLength(4096);
  });

  it('gives up an attempt at the timeout', async () => {
    const id = await hookTo('/hang');
    await deliverer({ timeoutMs: 100 }).drain();
    const [row] = await storage.review.webhooks.deliveries(id, 10, 0);
    expect(row).toMatchObject({ status: 'failed', error: 'timed out', response_status: null });
  });

  it('sends at most `concurrency` at once', async () => {
    maxInFlight = 0;
    const id = await hookTo('/slow', 9);
    expect(await deliverer({ concurrency: 3 }).drain()).toBe(9);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    const rows = await storage.review.webhooks.deliveries(id, 20, 0);
    expect(rows.map((row) => row.status)).toEqual(Array(9).fill('delivered'));
  });

  it('fails a delivery whose webhook was deleted, without sending it', async () => {
    const id = await hookTo('/ok');
    const [row] = await storage.review.webhooks.deliveries(id, 1, 0);
    const gone = new WebhookDeliverer(
      { store: storage.review.webhooks, target: async () => undefined },
      { backoffMs: [10] },
    );
    await gone.drain();
    expect(await storage.review.webhooks.delivery(Number(row?.id))).toMatchObject({
      status: 'failed',
      error: 'the webhook no longer exists',
    });
  });

  it('refuses destinations the allowed hosts leave out, by address and by the name resolved', async () => {
    const external = new AllowedHosts('external');
    const byAddress = await hookTo('/ok');
    await deliverer({ allowedHosts: external }).drain();
    const [refused] = await storage.review.webhooks.deliveries(byAddress, 10, 0);
    expect(refused).toMatchObject({ status: 'failed', response_status: null });
    expect(refused?.error).toContain('127.0.0.1 is not allowed for webhooks');

    // A name is judged by what it resolves to: `localhost` is loopback.
    const store = storage.review.webhooks;
    const named = await store.create({
      path: '/',
      url: base.replace('127.0.0.1', 'localhost') + '/ok',
      secret: 'sealed',
      events: ['push'],
      active: true,
      createdBy: 'test',
      at: new Date().toISOString(),
    });
    await store.enqueue([
      { webhookId: named, deliveryId: 'named', event: 'push', payload: '{}', at: new Date(0).toISOString() },
    ]);
    await deliverer({ allowedHosts: external }).drain();
    const [byName] = await store.deliveries(named, 10, 0);
    expect(byName?.status).toBe('failed');
    expect(byName?.error).toMatch(/(127\.0\.0\.1|::1) is not allowed for webhooks/);
  });
});
