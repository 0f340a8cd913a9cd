import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAvailable, SERVICES } from '../support/services.js';
import { createLogger } from '../../src/platform/logger.js';
import { SyncRunStore } from '../../src/storage/sync/sync-run-store.js';
import { parseSyncMessage } from '../../src/sync/sync-message.js';
import { syncChannels } from '../../src/sync/sync-bus.js';
import { addRepo, headOf, makeUpstream, startHarness, type Harness } from './support/sync-harness.js';

const REDIS = await serviceAvailable('redis');

/** A message in exactly the seed's shape (000 §3.3): no request_id, no task_type. */
function seedText(tenantId: number, repositoryId: number, url: string, operatorId: number): string {
  return JSON.stringify({
    action: 'sync',
    tenant_id: tenantId,
    repository_id: repositoryId,
    repository: {
      id: repositoryId,
      name: 'seed-shaped',
      url,
      branch: 'main',
      is_public: true,
      credential_id: null,
    },
    operator_id: operatorId,
  });
}

/** Waits (bounded) until `probe` yields a value; the bus delivers asynchronously. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let tries = 0; tries < 600; tries += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('seed-shaped messages on the in-process bus', () => {
  let h: Harness;
  const logLines: Array<{ msg: string; reason?: string }> = [];
  const skippedLines = () => logLines.filter((line) => line.msg === 'skipped sync message');
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logLines.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    h = await startHarness({}, { logger: createLogger({ level: 'info', destination }) });
  });
  afterAll(async () => {
    await h.close();
  });

  const publish = async (text: string) => {
    await h.runtime.bus.publish(parseSyncMessage(text));
    await h.runtime.worker?.idle();
  };
  const logs = (tenantId: number, repositoryId?: number) =>
    h.runtime.service.listLogs({ tenantId, repositoryId }, { limit: 50 });

  it('runs the sync of a known repository as a manual task with a generated request id', async () => {
    const upstream = await makeUpstream(h.dir, 2);
    const repoId = await addRepo(h, { name: 'seed-shaped', url: `file://${upstream}`, is_public: true });
    await publish(seedText(h.tenantId, repoId, `file://${upstream}`, 100));
    const [row, ...rest] = await logs(h.tenantId, repoId);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({ status: 'success', task_type: 'manual', operator_id: 100 });
    expect(row?.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.to_commit).toBe(await headOf(upstream));
    expect(skippedLines()).toEqual([]);
  });

  it('writes a skipped row with the reason for a repository the installation does not know', async () => {
    const unknownId = 987_654_321;
    await publish(seedText(h.tenantId, unknownId, 'https://example.invalid/x.git', 101));
    const rows = await logs(h.tenantId, unknownId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'skipped',
      task_type: 'manual',
      operator_id: 101,
      worker_id: h.runtime.worker?.workerId,
      error_message: `repository ${unknownId} is not known to this installation`,
      local_path: null,
      attempts: 0,
    });
    expect(rows[0]?.finished_at).not.toBeNull();
    expect(skippedLines()).toEqual([
      expect.objectContaining({ reason: `repository ${unknownId} is not known to this installation` }),
    ]);
  });

  it('writes a skipped row, and syncs nothing, when the tenant does not own the repository', async () => {
    const upstream = await makeUpstream(h.dir, 1);
    const repoId = await addRepo(h, { name: 'owned', url: `file://${upstream}`, is_public: true });
    const other = await h.runtime.service.createTenant(`other-${Date.now()}`);
    await publish(seedText(other.id, repoId, `file://${upstream}`, 102));
    expect(skippedLines()).toHaveLength(2);
    expect(skippedLines()[1]?.reason).toBe(`repository ${repoId} does not belong to tenant ${other.id}`);
    // Nothing ran for the owner...
    expect(await logs(h.tenantId, repoId)).toEqual([]);
    // ...and the claimed tenant's log says why.
    const rows = await logs(other.id, repoId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'skipped',
      operator_id: 102,
      error_message: `repository ${repoId} does not belong to tenant ${other.id}`,
    });
    // The result is recorded, so reconciliation does not run the message again.
    expect(
      await new SyncRunStore(h.database.db, h.database.capabilities).resultsOf(rows[0]!.request_id!),
    ).toEqual([{ worker_id: h.runtime.worker?.workerId, status: 'skipped' }]);
  });
});

describe.skipIf(!REDIS)('seed-shaped messages published on Redis by another producer', () => {
  let h: Harness;
  let producer: Redis;
  beforeAll(async () => {
    h = await startHarness({ MEGA_REDIS_URL: SERVICES.redis.url });
    producer = new Redis(SERVICES.redis.url);
  });
  afterAll(async () => {
    producer?.disconnect();
    await h?.close();
  });

  it('syncs a known repository and skips an unknown one', async () => {
    const upstream = await makeUpstream(h.dir, 2);
    const repoId = await addRepo(h, { name: 'over-redis', url: `file://${upstream}`, is_public: true });
    // Raw JSON straight onto the installation's channel, as a producer outside Mega would publish
    // it: `mega:<installation id>:sync:jobs` (README, "Sync messages on Redis").
    const channel = syncChannels(h.installation.redisPrefix).jobs;
    expect(channel).toBe(`mega:${h.installation.id}:sync:jobs`);
    await producer.publish(channel, seedText(h.tenantId, repoId, `file://${upstream}`, 7001));
    const synced = await eventually(async () => {
      const rows = await h.runtime.service.listLogs(
        { tenantId: h.tenantId, repositoryId: repoId },
        { limit: 50 },
      );
      return rows.find((row) => row.operator_id === 7001 && row.status !== 'running');
    }, 'the sync over Redis');
    expect(synced).toMatchObject({ status: 'success', task_type: 'manual' });
    expect(synced.to_commit).toBe(await headOf(upstream));

    const unknownId = 987_000_001;
    await producer.publish(channel, seedText(h.tenantId, unknownId, 'https://example.invalid/y.git', 7002));
    const skipped = await eventually(async () => {
      const rows = await h.runtime.service.listLogs(
        { tenantId: h.tenantId, repositoryId: unknownId },
        { limit: 50 },
      );
      return rows.find((row) => row.operator_id === 7002);
    }, 'the skipped row over Redis');
    expect(skipped).toMatchObject({
      status: 'skipped',
      error_message: `repository ${unknownId} is not known to this installation`,
    });
  });
});
