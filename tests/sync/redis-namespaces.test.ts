import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable, SERVICES } from '../support/services.js';
import { syncChannels } from '../../src/sync/sync-bus.js';
import type { SyncMessage } from '../../src/sync/sync-message.js';
import { addRepo, makeUpstream, startHarness, type Harness } from './support/sync-harness.js';

const REDIS = await serviceAvailable('redis');

/** Waits (bounded) until `probe` yields a value; the bus delivers asynchronously. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let tries = 0; tries < 600; tries += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Two installations (two databases) on one Redis. Each fresh database numbers its tenant and
 * repository 1, so a message of one, if the other heard it, would sync the other's repository.
 */
describe.skipIf(!REDIS)('installations sharing one Redis', () => {
  const installations: Harness[] = [];
  const heard = new Map<Harness, SyncMessage[]>();
  let repoId = 0;

  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      const h = await startHarness({ MEGA_REDIS_URL: SERVICES.redis.url });
      installations.push(h);
      const messages: SyncMessage[] = [];
      heard.set(h, messages);
      await h.runtime.bus.subscribe((message) => messages.push(message));
      const upstream = await makeUpstream(h.dir, 1);
      repoId = await addRepo(h, { name: 'same-id', url: `file://${upstream}`, is_public: true });
    }
  });
  afterAll(async () => {
    for (const h of installations) await h.close();
  });

  it('each has its own id and channel prefix, and the same tenant and repository ids', () => {
    const [a, b] = installations as [Harness, Harness];
    expect(a.installation.id).not.toBe(b.installation.id);
    expect(a.installation.redisPrefix).toBe(`mega:${a.installation.id}`);
    expect(b.installation.redisPrefix).toBe(`mega:${b.installation.id}`);
    expect(a.tenantId).toBe(b.tenantId);
  });

  it("never see each other's jobs", async () => {
    for (const [self, other] of [installations, [...installations].reverse()] as Array<[Harness, Harness]>) {
      const operatorId = 5000 + installations.indexOf(self);
      const requestId = await self.runtime.service.trigger(self.tenantId, repoId, {
        taskType: 'manual',
        operatorId,
      });
      const done = await eventually(async () => {
        const rows = await self.runtime.service.listLogs(
          { tenantId: self.tenantId, repositoryId: repoId },
          { limit: 50 },
        );
        return rows.find((row) => row.operator_id === operatorId && row.status !== 'running');
      }, 'the sync in its own installation');
      expect(done.status).toBe('success');
      expect(heard.get(self)!.map((message) => message.request_id)).toContain(requestId);
      // The other installation's subscriber, on the same Redis, heard nothing of it.
      await sleep(300);
      expect(heard.get(other)!.map((message) => message.request_id)).not.toContain(requestId);
      const otherRows = await other.runtime.service.listLogs(
        { tenantId: other.tenantId, repositoryId: repoId },
        { limit: 50 },
      );
      expect(otherRows.filter((row) => row.operator_id === operatorId)).toEqual([]);
    }
  });
});

describe.skipIf(!REDIS)('MEGA_REDIS_PREFIX', () => {
  let h: Harness;
  let listener: Redis;
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    h = await startHarness({ MEGA_REDIS_URL: SERVICES.redis.url, MEGA_REDIS_PREFIX: prefix });
    listener = new Redis(SERVICES.redis.url);
  });
  afterAll(async () => {
    listener?.disconnect();
    await h?.close();
  });

  it('replaces the installation id as the namespace of the channel', async () => {
    expect(h.installation.redisPrefix).toBe(prefix);
    const texts: string[] = [];
    listener.on('message', (channel: string, text: string) => {
      if (channel === `${prefix}:sync:jobs`) texts.push(text);
    });
    await listener.subscribe(syncChannels(prefix).jobs);
    const upstream = await makeUpstream(h.dir, 1);
    const repoId = await addRepo(h, { name: 'prefixed', url: `file://${upstream}` });
    const requestId = await h.runtime.service.trigger(h.tenantId, repoId, {
      taskType: 'manual',
      operatorId: 1,
    });
    await eventually(
      async () => (texts.some((text) => text.includes(requestId)) ? true : undefined),
      'the message',
    );
  });
});
