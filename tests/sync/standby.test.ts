import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createStorage } from '../../src/storage/storage.js';
import { startSyncRuntime, type SyncRuntime } from '../../src/sync/sync-runtime.js';
import { openInstallation } from '../../src/cli/app.js';
import { addRepo, makeUpstream, startHarness, type Harness } from './support/sync-harness.js';

describe('primary and standby workers of a group', () => {
  let h: Harness;
  const runtimes: SyncRuntime[] = [];
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    await h?.close();
  });

  const groupWorker = async (name: string, workerId: string) => {
    const config = loadConfig({
      env: {
        MEGA_DATA_DIR: join(h.dir, name),
        MEGA_DATABASE_URL: h.config.databaseUrl,
        // The harness's generated secret: every worker of an installation shares it.
        MEGA_SECRET_KEY_FILE: join(h.config.dataDir, 'secret.key'),
        MEGA_WORKER_ID: workerId,
        MEGA_WORKER_GROUP: 'blue',
        MEGA_SYNC_ALLOW_FILE_URLS: 'true',
        MEGA_SYNC_RECONCILE_INTERVAL_MS: '3600000',
      },
    });
    const storage = createStorage(h.database, config);
    const installation = await openInstallation(storage, config);
    const runtime = await startSyncRuntime({
      config,
      storage,
      secret: installation.secret,
      redisPrefix: installation.redisPrefix,
      logger: createLogger({ level: 'silent' }),
      runWorker: true,
    });
    runtimes.push(runtime);
    return runtime;
  };

  it('only the primary syncs; the standby takes over and catches up when the primary stops', async () => {
    const primary = await groupWorker('primary', 'worker-test-00000001');
    const standby = await groupWorker('standby', 'worker-test-00000002');
    expect(primary.worker?.isPrimary()).toBe(true);
    expect(standby.worker?.isPrimary()).toBe(false);
    const repoId = await addRepo(h, { name: 'grouped', url: `file://${await makeUpstream(h.dir, 1)}` });
    const first = await h.runtime.service.trigger(h.tenantId, repoId, {
      taskType: 'manual',
      operatorId: null,
    });
    await primary.worker?.reconcile();
    await standby.worker?.reconcile();
    await primary.worker?.idle();
    await standby.worker?.idle();
    const workersOf = async (requestId: string) =>
      (await h.runtime.service.requestStatus(requestId)).map((r) => r.worker_id);
    expect(await workersOf(first)).not.toContain('worker-test-00000002');
    expect(await workersOf(first)).toContain('worker-test-00000001');

    await primary.close();
    const second = await h.runtime.service.trigger(h.tenantId, repoId, {
      taskType: 'manual',
      operatorId: null,
    });
    await standby.worker?.reconcile();
    expect(standby.worker?.isPrimary()).toBe(true);
    await standby.worker?.idle();
    expect(await workersOf(second)).toContain('worker-test-00000002');
  });
});
