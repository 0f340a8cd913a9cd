import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { buildFixture } from '../../src/cli/testing/fixture-server.js';
import { AccessPolicy } from '../../src/access/access-policy.js';
import { ANONYMOUS, type Principal } from '../../src/access/principal.js';
import type { Storage } from '../../src/storage/storage.js';
import { SyncLogSchema, SyncRepositorySchema, SyncSummarySchema } from '../../src/web/sync/sync-schemas.js';

const SECRET = 'ghp_rest-secret-0123456789';
let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let storage: Storage;
let admin: string;
let member: string;
let outsider: string;
let memberId: number;
let tenant: number;

const call = (method: string, url: string, token: string | null, payload?: unknown) =>
  app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });

beforeAll(async () => {
  temp = await makeTempDir('mega-sync-rest-');
  ({ app, storage } = await buildFixture({}, temp.path));
  const token = async (name: string, isAdmin: boolean) => {
    const user = await storage.users.createUser({ username: name, isAdmin });
    // An administrator acts as one with a token of the admin scope.
    const scopes = isAdmin ? ['read', 'write', 'admin'] : ['read', 'write'];
    return { id: user.id, token: (await storage.users.createToken(user.id, 't', { scopes })).token };
  };
  admin = (await token('root', true)).token;
  const m = await token('mia', false);
  member = m.token;
  memberId = m.id;
  outsider = (await token('oscar', false)).token;
  const created = await call('POST', '/api/v1/sync/tenants', admin, { name: 'acme' });
  expect(created.statusCode).toBe(201);
  tenant = created.json().id;
  expect(
    (await call('POST', `/api/v1/sync/tenants/${tenant}/members`, admin, { userId: memberId })).statusCode,
  ).toBe(204);
});

afterAll(async () => {
  await app?.close();
  await temp?.remove();
});

describe('sync REST API', () => {
  it('scopes tenants: members and admins in, others 403, anonymous 401', async () => {
    expect((await call('GET', `/api/v1/sync/tenants/${tenant}/repositories`, member)).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/sync/tenants/${tenant}/repositories`, outsider)).statusCode).toBe(403);
    expect((await call('GET', `/api/v1/sync/tenants/${tenant}/repositories`, null)).statusCode).toBe(401);
    expect((await call('GET', `/api/v1/sync/tenants/999999/repositories`, admin)).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/sync/tenants', member, { name: 'nope' })).statusCode).toBe(403);
    expect(
      (await call('GET', '/api/v1/sync/tenants', member)).json().items.map((t: { name: string }) => t.name),
    ).toEqual(['acme']);
    expect((await call('GET', '/api/v1/sync/tenants', outsider)).json().items).toEqual([]);
  });

  it('accepts secrets and never returns them', async () => {
    const created = await call('POST', `/api/v1/sync/tenants/${tenant}/credentials`, member, {
      name: 'ci',
      type: 'token',
      secret: SECRET,
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    const patched = await call('PATCH', `/api/v1/sync/tenants/${tenant}/credentials/${id}`, member, {
      secret: `${SECRET}-2`,
    });
    expect(patched.statusCode).toBe(200);
    const bodies = [
      created.body,
      patched.body,
      (await call('GET', `/api/v1/sync/tenants/${tenant}/credentials`, member)).body,
      (await call('GET', `/api/v1/sync/tenants/${tenant}/credentials/${id}`, member)).body,
    ];
    for (const body of bodies) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain('secret_sealed');
    }
  });

  it('manages repositories, triggers with the operator id, and refuses a credential in use', async () => {
    const credential = (
      await call('POST', `/api/v1/sync/tenants/${tenant}/credentials`, member, {
        name: 'repo-cred',
        type: 'password',
        username: 'u',
        secret: 'pw-long-enough',
      })
    ).json();
    const created = await call('POST', `/api/v1/sync/tenants/${tenant}/repositories`, member, {
      name: 'playbooks',
      url: 'https://example.com/playbooks.git',
      credentialId: credential.id,
      schedule: '@every 10m',
      branches: ['release'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const repo = created.json();
    // The shape the route declares (and the OpenAPI document shows).
    expect(SyncRepositorySchema.safeParse(repo).error).toBeUndefined();
    expect(repo).toMatchObject({
      branch: 'main',
      branches: ['main', 'release'],
      strictHostKey: true,
      schedule: '@every 10m',
    });
    const patched = await call('PATCH', `/api/v1/sync/tenants/${tenant}/repositories/${repo.id}`, member, {
      depth: 1,
    });
    expect(patched.json().depth).toBe(1);
    const triggered = await call(
      'POST',
      `/api/v1/sync/tenants/${tenant}/repositories/${repo.id}/sync`,
      member,
    );
    expect(triggered.statusCode).toBe(202);
    const { requestId } = triggered.json();
    const stored = await storage.sync.runs.requestById(requestId);
    expect(stored).toMatchObject({ operator_id: memberId, task_type: 'manual', action: 'sync' });
    expect(stored?.message).not.toContain('pw-long-enough');
    expect(
      (await call('GET', `/api/v1/sync/tenants/${tenant}/requests/${requestId}`, member)).json(),
    ).toEqual({ requestId, results: [] });
    expect(
      (await call('DELETE', `/api/v1/sync/tenants/${tenant}/credentials/${credential.id}`, member))
        .statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', `/api/v1/sync/tenants/${tenant}/repositories`, member, {
          name: 'playbooks',
          url: 'https://example.com/x.git',
        })
      ).statusCode,
    ).toBe(409);
    const deleted = await call('DELETE', `/api/v1/sync/tenants/${tenant}/repositories/${repo.id}`, member);
    expect(deleted.statusCode).toBe(202);
    expect(
      (await call('GET', `/api/v1/sync/tenants/${tenant}/repositories/${repo.id}`, member)).statusCode,
    ).toBe(404);
  });

  it('a mirror takes the repository visibility; the tenant members read a private one', async () => {
    // MEGA_ANONYMOUS_READ is on here: without the setting the mirror would be public.
    const policy = new AccessPolicy(storage.access, { anonymousRead: true });
    const reader = (principal: Principal) => policy.permissionsOf(principal);
    const user = async (name: string): Promise<Principal> => {
      const found = await storage.users.findUser(name);
      return { kind: 'user', userId: found!.id, username: name, isAdmin: false, scopes: ['read', 'write'] };
    };
    const created = await call('POST', `/api/v1/sync/tenants/${tenant}/repositories`, member, {
      name: 'hidden',
      url: 'https://example.com/hidden.git',
      mirrorTo: '/import/hidden',
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().isPublic).toBe(false);
    expect((await storage.access.pathSettings()).find((s) => s.path === '/import/hidden')).toEqual({
      path: '/import/hidden',
      visibility: 'private',
      selfMerge: null,
    });
    expect((await reader(ANONYMOUS)).canRead('/import/hidden')).toBe(false);
    expect((await reader(await user('oscar'))).canRead('/import/hidden')).toBe(false);
    expect((await reader(await user('mia'))).canRead('/import/hidden')).toBe(true);
    expect((await reader(await user('mia'))).has('/import/hidden', 'write')).toBe(false);
    // A member who joins later reads it too.
    const late = await storage.users.createUser({ username: 'lena' });
    await call('POST', `/api/v1/sync/tenants/${tenant}/members`, admin, { userId: late.id });
    expect((await reader(await user('lena'))).canRead('/import/hidden')).toBe(true);
    // Made public, it is readable anonymously; moved, the new path is private at once.
    const id = created.json().id;
    await call('PATCH', `/api/v1/sync/tenants/${tenant}/repositories/${id}`, member, { isPublic: true });
    expect((await reader(ANONYMOUS)).canRead('/import/hidden')).toBe(true);
    await call('PATCH', `/api/v1/sync/tenants/${tenant}/repositories/${id}`, member, {
      isPublic: false,
      mirrorTo: '/import/moved',
    });
    expect((await reader(ANONYMOUS)).canRead('/import/moved')).toBe(false);
    expect((await reader(await user('lena'))).canRead('/import/moved')).toBe(true);
    // A registration without a mirror sets nothing.
    const plain = await call('POST', `/api/v1/sync/tenants/${tenant}/repositories`, member, {
      name: 'plain',
      url: 'https://example.com/plain.git',
    });
    expect(plain.statusCode).toBe(201);
    expect((await storage.access.pathSettings()).map((s) => s.path)).toEqual([
      '/import/hidden',
      '/import/moved',
    ]);
  });

  it('lists logs with filters and keyset paging, and summarises them', async () => {
    const runs = storage.sync.runs;
    const base = {
      tenant_id: tenant,
      repository_id: 42,
      request_id: null,
      worker_id: 'worker-h-00000001',
      task_type: 'scheduled',
      operator_id: null,
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:02.000Z',
      local_path: '/copies/x',
      command_output: '',
      error_message: null,
      from_commit: null,
      to_commit: null,
      attempts: 1,
    };
    for (let i = 0; i < 5; i += 1)
      await runs.insertLog({
        ...base,
        status: 'success',
        error_class: null,
        duration_ms: 2000,
        bytes_on_disk: 1000 + i,
      });
    await runs.insertLog({
      ...base,
      status: 'failed',
      error_class: 'auth',
      duration_ms: 100,
      bytes_on_disk: null,
    });
    const page1 = (await call('GET', `/api/v1/sync/tenants/${tenant}/logs?limit=4`, member)).json();
    expect(page1.items).toHaveLength(4);
    for (const row of page1.items) expect(SyncLogSchema.safeParse(row).error).toBeUndefined();
    expect(page1.items[0]).toMatchObject({ status: 'failed', errorClass: 'auth', duration: 0.1 });
    expect(page1.items[0]).not.toHaveProperty('error_class');
    const page2 = (
      await call('GET', `/api/v1/sync/tenants/${tenant}/logs?limit=4&cursor=${page1.nextCursor}`, member)
    ).json();
    expect(page2.items).toHaveLength(2);
    expect(page2.items[0].id).toBe(page1.items[3].id - 1);
    expect(page2.nextCursor).toBeUndefined();
    expect(
      (await call('GET', `/api/v1/sync/tenants/${tenant}/logs?status=failed`, member)).json().items,
    ).toHaveLength(1);
    expect(
      (await call('GET', `/api/v1/sync/tenants/${tenant}/logs/${page1.items[0].id}`, member)).json().id,
    ).toBe(page1.items[0].id);
    const summary = (await call('GET', `/api/v1/sync/tenants/${tenant}/summary`, member)).json();
    expect(SyncSummarySchema.safeParse(summary).error).toBeUndefined();
    expect(summary).toMatchObject({
      total: 6,
      success: 5,
      failed: 1,
      averageDuration: 2,
      failureReasons: { auth: 1 },
      storageBytes: 1004,
    });
    expect(summary.successRate).toBeCloseTo(5 / 6);
  });

  it('refuses bad JSON, bad types, unknown fields and hostile values on every endpoint', async () => {
    const t = `/api/v1/sync/tenants/${tenant}`;
    const writes: Array<[string, string]> = [
      ['POST', '/api/v1/sync/tenants'],
      ['POST', `${t}/members`],
      ['POST', `${t}/credentials`],
      ['PATCH', `${t}/credentials/1`],
      ['POST', `${t}/repositories`],
      ['PATCH', `${t}/repositories/1`],
    ];
    for (const [method, url] of writes) {
      for (const body of [
        '{',
        '{"name":',
        'null',
        '[]',
        '"x"',
        '{"name": 1}',
        `{"unknown": true, "name": "x"}`,
      ]) {
        const response = await call(method, url, admin, body);
        expect([400, 404], `${method} ${url} ${body} → ${response.statusCode} ${response.body}`).toContain(
          response.statusCode,
        );
        expect(response.json().code).toBeTypeOf('string');
      }
    }
    const hostile: unknown[] = [
      { name: 'x', url: 'ext::sh -c id' },
      { name: 'x', url: 'https://user:pw@example.com/r.git' },
      { name: 'x', url: '-uhttps://x' },
      { name: 'x', url: 'https://example.com/r.git', branch: '--upload-pack=touch /tmp/x' },
      { name: 'x', url: 'https://example.com/r.git', mirrorTo: '/import/../projects' },
      // The service's snake_case names are not the API's.
      { name: 'x', url: 'https://example.com/r.git', is_public: true },
      { name: 'x', url: 'https://example.com/r.git', schedule: 'whenever' },
      { name: 'x', url: 'https://example.com/r.git', filter: 'sparse:oid=HEAD' },
      { name: '../x', url: 'https://example.com/r.git' },
      { name: 'x'.repeat(300), url: 'https://example.com/r.git' },
      { name: 'x', url: `https://example.com/${'a'.repeat(3000)}` },
      { name: 'x', url: 'ssh://git@example.com/r.git', credentialId: 999999 },
    ];
    for (const body of hostile) {
      const response = await call('POST', `${t}/repositories`, admin, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
    const badCredentials: unknown[] = [
      { name: 'p', type: 'password', secret: 'no-username' },
      { name: 'p', type: 'magic', secret: 'x' },
      { name: 'p', type: 'token', secret: 'two\nlines' },
      { name: 'p', type: 'token', secret: 'x'.repeat(70_000) },
      { name: 'p', type: 'token', secret: '' },
    ];
    for (const body of badCredentials)
      expect((await call('POST', `${t}/credentials`, admin, body)).statusCode).toBe(400);
    for (const url of [
      `/api/v1/sync/tenants/abc/repositories`,
      `${t}/repositories/-1`,
      `${t}/repositories/1e3`,
      `${t}/logs?limit=0`,
      `${t}/logs?limit=100000`,
      `${t}/logs?since=yesterday`,
      `${t}/logs?bogus=1`,
      `${t}/requests/not-a-uuid`,
      `${t}/summary?repositoryId=x`,
      `${t}/logs?repository_id=1`,
      `${t}/logs?before=5`,
    ]) {
      expect((await call('GET', url, admin)).statusCode, url).toBe(400);
    }
    const huge = JSON.stringify({
      name: 'x',
      url: 'https://example.com/r.git',
      padding: 'x'.repeat(17 * 1024 * 1024),
    });
    expect((await call('POST', `${t}/repositories`, admin, huge)).statusCode).toBe(413);
  });
});
