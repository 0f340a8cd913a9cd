import { expect, it } from 'vitest';
import { SyncConfigStore } from '../../src/storage/sync/sync-config-store.js';
import { SyncLeaseStore } from '../../src/storage/sync/sync-lease-store.js';
import { SyncRunStore } from '../../src/storage/sync/sync-run-store.js';
import { describeEachDialect } from '../support/dialects.js';

describeEachDialect('sync stores', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      config: new SyncConfigStore(database.db, database.capabilities),
      runs: new SyncRunStore(database.db, database.capabilities),
      leases: new SyncLeaseStore(database.db, database.capabilities),
    };
  };

  it('keeps tenants, sealed credentials and repositories tenant-scoped', async () => {
    const { config } = stores();
    const a = await config.createTenant('tenant-a');
    const b = await config.createTenant('tenant-b');
    const credential = await config.createCredential(
      { tenant_id: a, name: 'deploy', type: 'token', username: null, known_host: null },
      (id) => `sealed-for-${id}`,
    );
    expect((await config.credentialWithSecret(credential))?.secret_sealed).toBe(`sealed-for-${credential}`);
    const info = await config.credentialInfo(a, credential);
    expect(info).toBeDefined();
    expect(Object.keys(info ?? {})).not.toContain('secret_sealed');
    expect(await config.credentialInfo(b, credential)).toBeUndefined();
    const repo = await config.createRepository({
      tenant_id: a,
      name: 'playbooks',
      url: 'https://example.com/p.git',
      branch: 'main',
      extra_branches: '[]',
      is_public: 0,
      credential_id: credential,
      schedule: '*/5 * * * *',
      depth: null,
      filter: null,
      lfs: 0,
      submodules: 0,
      strict_host_key: 1,
      mirror_to: null,
    });
    expect((await config.repository(repo, a))?.name).toBe('playbooks');
    expect(await config.repository(repo, b)).toBeUndefined();
    expect(await config.credentialInUse(credential)).toBe(true);
    expect((await config.scheduledRepositories()).map((r) => r.id)).toContain(repo);
    await expect(
      config.createRepository({
        tenant_id: a,
        name: 'playbooks',
        url: 'https://example.com/q.git',
        branch: 'main',
        extra_branches: '[]',
        is_public: 1,
        credential_id: null,
        schedule: null,
        depth: null,
        filter: null,
        lfs: 0,
        submodules: 0,
        strict_host_key: 1,
        mirror_to: null,
      }),
    ).rejects.toSatisfy((error) => config.isUniqueViolation(error));
  });

  it('reports the newest unfinished request per repository for each worker', async () => {
    const { runs } = stores();
    const message = '{}';
    const base = { tenant_id: 1, action: 'sync' as const, task_type: 'manual', operator_id: null, message };
    await runs.insertRequest({
      ...base,
      request_id: '00000000-0000-4000-8000-000000000001',
      repository_id: 9001,
    });
    await runs.insertRequest({
      ...base,
      request_id: '00000000-0000-4000-8000-000000000002',
      repository_id: 9001,
    });
    await runs.insertRequest({
      ...base,
      request_id: '00000000-0000-4000-8000-000000000003',
      repository_id: 9002,
    });
    const pending = await runs.pendingRequests('worker-h-00000001');
    expect(pending.map((r) => r.request_id)).toEqual([
      '00000000-0000-4000-8000-000000000002',
      '00000000-0000-4000-8000-000000000003',
    ]);
    await runs.recordResult('00000000-0000-4000-8000-000000000002', 'worker-h-00000001', 'success');
    await runs.recordResult('00000000-0000-4000-8000-000000000002', 'worker-h-00000001', 'failed');
    expect((await runs.pendingRequests('worker-h-00000001')).map((r) => r.repository_id)).toEqual([9002]);
    expect((await runs.pendingRequests('worker-h-00000002')).length).toBe(2);
    expect(await runs.resultsOf('00000000-0000-4000-8000-000000000002')).toEqual([
      { worker_id: 'worker-h-00000001', status: 'success' },
    ]);
  });

  it('filters, pages and summarises sync logs', async () => {
    const { runs } = stores();
    const row = {
      tenant_id: 77,
      repository_id: 5,
      request_id: null,
      worker_id: 'worker-h-00000001',
      task_type: 'manual',
      operator_id: 3,
      status: 'success' as const,
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: null,
      duration_ms: 1000,
      local_path: '/x',
      command_output: '',
      error_message: null,
      error_class: null,
      attempts: 1,
      from_commit: null,
      to_commit: 'a'.repeat(40),
      bytes_on_disk: 100,
    };
    await runs.insertLog(row);
    const second = await runs.insertLog({ ...row, duration_ms: 3000, bytes_on_disk: 250 });
    await runs.insertLog({
      ...row,
      status: 'failed',
      error_class: 'auth',
      duration_ms: 10,
      bytes_on_disk: null,
    });
    const running = await runs.insertLog({ ...row, status: 'running', repository_id: 6 });
    await runs.updateLog(running, { status: 'failed', error_class: 'network' });
    const firstPage = await runs.listLogs({ tenantId: 77 }, { limit: 2 });
    expect(firstPage).toHaveLength(2);
    const nextPage = await runs.listLogs({ tenantId: 77 }, { limit: 10, beforeId: firstPage[1]?.id });
    expect(nextPage).toHaveLength(2);
    expect(
      (await runs.listLogs({ tenantId: 77, status: 'failed', errorClass: 'auth' }, { limit: 10 })).length,
    ).toBe(1);
    expect(await runs.listLogs({ tenantId: 78 }, { limit: 10 })).toEqual([]);
    const summary = await runs.summary(77);
    expect(summary).toMatchObject({
      total: 4,
      success: 2,
      failed: 2,
      averageDurationMs: 2000,
      storageBytes: 250,
    });
    expect(summary.failuresByClass).toEqual({ auth: 1, network: 1 });
    expect((await runs.logById(77, second))?.bytes_on_disk).toBe(250);
    // A message for an unknown repository leaves a skipped row, which the status filter finds.
    await runs.insertLog({ ...row, tenant_id: 80, status: 'skipped', error_message: 'not known' });
    const skipped = await runs.listLogs({ tenantId: 80, status: 'skipped' }, { limit: 10 });
    expect(skipped.map((log) => log.error_message)).toEqual(['not known']);
  });

  it('fails the rows a dead worker left running, and only those', async () => {
    const { runs } = stores();
    const row = {
      tenant_id: 79,
      repository_id: 5,
      request_id: null,
      worker_id: 'worker-h-0000dead',
      task_type: 'manual',
      operator_id: null,
      status: 'running' as const,
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: null,
      duration_ms: null,
      local_path: null,
      command_output: null,
      error_message: null,
      error_class: null,
      attempts: 0,
      from_commit: null,
      to_commit: null,
      bytes_on_disk: null,
    };
    const dead = await runs.insertLog(row);
    const other = await runs.insertLog({ ...row, worker_id: 'worker-h-0000a11e' });
    expect(await runs.failInterrupted('worker-h-0000dead', 'interrupted')).toBe(1);
    expect(await runs.logById(79, dead)).toMatchObject({ status: 'failed', error_message: 'interrupted' });
    expect((await runs.logById(79, other))?.status).toBe('running');
  });

  it('grants a lease to one holder until it expires', async () => {
    const { leases } = stores();
    const now = new Date('2026-01-01T00:00:00Z');
    expect(await leases.tryAcquire('scheduler', 'a', 30_000, now)).toBe(true);
    expect(await leases.tryAcquire('scheduler', 'b', 30_000, now)).toBe(false);
    expect(await leases.tryAcquire('scheduler', 'a', 30_000, now)).toBe(true);
    expect(await leases.tryAcquire('scheduler', 'b', 30_000, new Date(now.getTime() + 31_000))).toBe(true);
    const racers = await Promise.all(
      ['x', 'y', 'z'].map((holder) => leases.tryAcquire('slot-1', holder, 60_000, now)),
    );
    expect(racers.filter(Boolean)).toHaveLength(1);
    await leases.heartbeat('worker-h-00000001', 'h');
    await leases.heartbeat('worker-h-00000001', 'h');
    expect((await leases.workers()).map((w) => w.worker_id)).toContain('worker-h-00000001');
  });
});
