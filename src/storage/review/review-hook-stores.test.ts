import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { CommitStatusStore } from './commit-status-store.js';
import { WebhookStore } from './webhook-store.js';

const iso = (ms: number) => new Date(ms).toISOString();

describeEachDialect('commit status and webhook stores', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      statuses: new CommitStatusStore(database.db, database.capabilities),
      hooks: new WebhookStore(database.db, database.capabilities),
    };
  };

  it('keeps the latest status per (repository, commit, context), racing first posts included', async () => {
    const { statuses } = stores();
    const commit = 'a'.repeat(40);
    const base = {
      repoPath: `/import/${'r'.repeat(400)}`,
      commit,
      targetUrl: null,
      description: null,
      creator: 'ci',
      at: iso(1000),
    };
    await Promise.all(
      ['pending', 'success', 'failure'].map((state) =>
        statuses.upsert({ ...base, context: 'ci/build', state }),
      ),
    );
    const context = 'c'.repeat(128);
    await statuses.upsert({ ...base, context, state: 'pending', description: 'd'.repeat(140) });
    const updated = await statuses.upsert({
      ...base,
      context,
      state: 'success',
      targetUrl: `https://ci.example/${'u'.repeat(2000)}`,
      at: iso(2000),
    });
    expect(updated).toMatchObject({ state: 'success', created_at: iso(1000), updated_at: iso(2000) });
    const latest = await statuses.latest(base.repoPath, commit);
    expect(latest.map((row) => row.context)).toEqual(['c'.repeat(128), 'ci/build']);
    expect(latest[0]?.description).toBeNull();
    expect(await statuses.latest(base.repoPath, 'b'.repeat(40))).toEqual([]);
  });

  it('claims each due delivery once across racing servers, retries, and loses stale claims', async () => {
    const { hooks } = stores();
    const id = await hooks.create({
      path: '/projects',
      url: 'https://hooks.example/x',
      secret: 'sealed',
      events: ['push', 'status'],
      active: true,
      createdBy: 'root',
      at: iso(0),
    });
    expect((await hooks.get(id))?.events).toBe('push,status');
    await hooks.enqueue(
      Array.from({ length: 12 }, (_, i) => ({
        webhookId: id,
        deliveryId: `d-${id}-${i}`,
        event: 'push',
        payload: '{}',
        at: iso(1000),
      })),
    );
    // Four servers claim at once: every delivery is claimed by exactly one of them.
    const now = iso(5000);
    const claims = await Promise.all(
      [0, 1, 2, 3].map((server) => hooks.claimDue(now, iso(60_000 + server), 12)),
    );
    const claimed = claims.flat().map((row) => row.delivery_id);
    expect(claimed.length).toBe(12);
    expect(new Set(claimed).size).toBe(12);
    expect(await hooks.claimDue(now, iso(70_000), 12)).toEqual([]); // all held

    const [first] = claims.find((rows) => rows.length > 0) ?? [];
    const owner = claims.findIndex((rows) => rows.some((row) => row.id === first?.id));
    const lease = iso(60_000 + owner);
    expect(await hooks.recordAttempt(Number(first?.id), 'not-the-claim', failedAttempt(iso(6000)))).toBe(
      false,
    );
    expect(await hooks.recordAttempt(Number(first?.id), lease, failedAttempt(iso(6000)))).toBe(true);
    const retried = await hooks.delivery(Number(first?.id));
    expect(retried).toMatchObject({
      status: 'pending',
      attempts: 1,
      claimed_until: null,
      response_status: 500,
    });
    // Due again at its next attempt, not before.
    expect((await hooks.claimDue(iso(5500), iso(80_000), 20)).length).toBe(0);
    expect((await hooks.claimDue(iso(6000), iso(80_000), 20)).map((row) => row.id)).toEqual([first?.id]);
    // An expired claim (its server died) is due again.
    const taken = await hooks.claimDue(iso(61_000), iso(120_000), 20);
    expect(taken.length).toBe(11);

    const log = await hooks.deliveries(id, 5, 0);
    expect(log).toHaveLength(5);
    expect(Number(log[0]?.id)).toBeGreaterThan(Number(log[4]?.id));
    expect(await hooks.delete(id)).toBe(true);
    expect(await hooks.delivery(Number(first?.id))).toBeUndefined();
    expect(await hooks.get(id)).toBeUndefined();
  });
});

function failedAttempt(at: string) {
  return {
    status: 'pending' as const,
    nextAttemptAt: at,
    responseStatus: 500,
    responseBody: 'x'.repeat(4096),
    error: 'HTTP 500',
    durationMs: 12,
    at: iso(5900),
  };
}
