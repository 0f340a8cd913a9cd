import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { createStorage } from '../../src/storage/storage.js';
import { loadConfig } from '../../src/platform/config.js';
import { parseObjectId } from '../../src/git/object-id.js';
import { eventually, startReceiver, startReviewServer } from './review-server.js';

/**
 * The delivery queue is shared and durable: two servers over one database send every delivery
 * exactly once, and what was queued while no server ran is sent by the next one to start.
 */
describeEachDialect('webhook delivery queue', (getDb, dialect) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('two servers share the queue without sending a delivery twice; a restarted server sends what was queued', async () => {
    const fast = { backoffMs: [20, 20], pollMs: 30 };
    const a = await startReviewServer(dialect, fast, getDb());
    const b = await startReviewServer(dialect, fast, getDb());
    const created = await a.api('POST', '/api/v1/webhooks', {
      token: 'root-token',
      body: { path: '/import', url: receiver.url, secret: 'queue-secret', events: ['status'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const hook = created.body.id as number;
    const commit = parseObjectId('c'.repeat(40));
    // Each server enqueues half of the events; both deliverers race for all of them.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).app.services.review.webhooks.enqueue({
          type: 'status',
          repoPath: `/import/q${i}`,
          commit,
          context: `ctx-${i}`,
          state: 'success',
          actor: 'ci',
        }),
      ),
    );
    await receiver.next(21);
    const log = await eventually(
      async () =>
        (await a.api('GET', `/api/v1/webhooks/${hook}/deliveries?limit=100`, { token: 'root-token' })).body
          .items as Array<{ status: string; attempts: number; deliveryId: string }>,
      (items) => items.length === 21 && items.every((item) => item.status === 'delivered'),
    );
    expect(log.every((item) => item.attempts === 1)).toBe(true);
    const sent = receiver.received.map((hit) => hit.headers['x-mega-delivery']);
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.length).toBe(21);
    await a.close();
    await b.close();

    // Queued while no server runs (a restart): the next server to start sends it.
    const { database, dataDir, url } = getDb();
    const storage = createStorage(
      database,
      loadConfig({ env: {}, overrides: { dataDir, databaseUrl: url } }),
    );
    await storage.review.webhooks.enqueue([
      {
        webhookId: hook,
        deliveryId: 'queued-while-down',
        event: 'status',
        payload: '{}',
        at: new Date().toISOString(),
      },
    ]);
    const c = await startReviewServer(dialect, fast, getDb());
    try {
      await receiver.next(22);
      expect(receiver.received[21]?.headers['x-mega-delivery']).toBe('queued-while-down');
    } finally {
      await c.close();
    }
  });
});
