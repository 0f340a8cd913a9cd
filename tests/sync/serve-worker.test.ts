import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { headOf, makeUpstream } from './support/sync-harness.js';

/** `mega serve` runs the scheduler and an in-process worker on the in-process bus (embedded default). */
describe('mega serve with its in-process sync worker', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let token: string;
  const dataDir = () => join(temp.path, 'data');

  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-serve-');
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir()]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim().split('\n').pop() as string;
    server = await startMegaServer({
      dataDir: dataDir(),
      env: { MEGA_LOG_LEVEL: 'warn', MEGA_SYNC_ALLOW_FILE_URLS: 'true' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await temp?.remove();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1/sync${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('syncs a repository registered and triggered over REST, and reports it', async () => {
    const upstream = await makeUpstream(temp.path, 2);
    const tenant = await api('POST', '/tenants', { name: 'embedded' });
    expect(tenant.status).toBe(201);
    const repo = await api('POST', `/tenants/${tenant.json.id}/repositories`, {
      name: 'r',
      url: `file://${upstream}`,
    });
    expect(repo.status).toBe(201);
    const trigger = await api('POST', `/tenants/${tenant.json.id}/repositories/${repo.json.id}/sync`);
    expect(trigger.status).toBe(202);
    let results: Array<{ status: string }> = [];
    for (let i = 0; i < 300 && results.length === 0; i += 1) {
      results = (await api('GET', `/tenants/${tenant.json.id}/requests/${trigger.json.requestId}`)).json
        .results as typeof results;
      if (results.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(results).toEqual([expect.objectContaining({ status: 'success' })]);
    const logs = (await api('GET', `/tenants/${tenant.json.id}/logs?repositoryId=${repo.json.id}`)).json
      .items as Array<Record<string, unknown>>;
    expect(logs[0]).toMatchObject({
      status: 'success',
      taskType: 'manual',
      toCommit: await headOf(upstream),
    });
    const summary = (await api('GET', `/tenants/${tenant.json.id}/summary`)).json;
    expect(summary).toMatchObject({ success: 1, successRate: 1 });
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
      'mega_sync_runs_total{status="success"',
    );
  });

  it('runs no worker with --no-worker', async () => {
    const other = await startMegaServer({ dataDir: join(temp.path, 'no-worker'), args: ['--no-worker'] });
    try {
      expect(await (await fetch(`${other.url}/metrics`)).text()).not.toContain('mega_sync_runs_total');
    } finally {
      await other.stop();
    }
  });
});
