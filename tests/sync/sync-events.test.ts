import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { buildFixture } from '../../src/cli/testing/fixture-server.js';
import type { Storage } from '../../src/storage/storage.js';
import { SYNC_EVENT_LIMITS } from '../../src/web/sync/sync-event-routes.js';

/** `GET /api/v1/sync/tenants/:tenant/events`: live runs as server-sent events, over a real socket. */
let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let storage: Storage;
let base: string;
let admin: string;
let outsider: string;
let tenant: number;
let closed = false;

const logRow = (status: 'running' | 'success') => ({
  tenant_id: tenant,
  repository_id: 7,
  request_id: null,
  worker_id: 'worker-h-00000001',
  task_type: 'manual',
  operator_id: null,
  status,
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: status === 'running' ? null : '2026-01-01T00:00:02.000Z',
  duration_ms: status === 'running' ? null : 2000,
  local_path: null,
  command_output: status === 'running' ? null : 'fetched [redacted]\n',
  error_message: null,
  error_class: null,
  from_commit: null,
  to_commit: null,
  attempts: 1,
  bytes_on_disk: null,
});

/** An open stream: `next(event)` waits for the next event of that name and returns its data. */
async function openStream(token: string | null, tenantId = tenant) {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/sync/tenants/${tenantId}/events`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (name: string): Promise<{ items: Array<Record<string, unknown>> }> => {
    for (;;) {
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === name && data) return JSON.parse(data) as { items: Array<Record<string, unknown>> };
        end = buffer.indexOf('\n\n');
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`stream ended before a ${name} event`);
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  return { response, next, close: () => controller.abort() };
}

/** A stream of the admin once a slot is free: the server notices disconnects asynchronously. */
async function openWhenFree() {
  for (let i = 0; i < 100; i += 1) {
    const attempt = await openStream(admin);
    if (attempt.response.status === 200) return attempt;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no stream slot became free');
}

beforeAll(async () => {
  temp = await makeTempDir('mega-sync-events-');
  ({ app, storage } = await buildFixture({}, temp.path));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const token = async (name: string, isAdmin: boolean) => {
    const user = await storage.users.createUser({ username: name, isAdmin });
    const scopes = isAdmin ? ['read', 'write', 'admin'] : ['read', 'write'];
    return (await storage.users.createToken(user.id, 't', { scopes })).token;
  };
  admin = await token('root', true);
  outsider = await token('oscar', false);
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/sync/tenants',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'live' }),
  });
  tenant = created.json().id;
});

afterAll(async () => {
  if (!closed) await app?.close();
  await temp?.remove();
});

describe('sync event stream', () => {
  it('sends a snapshot, then each run that appears or changes, redacted output included', async () => {
    const stream = await openStream(admin);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('content-encoding')).toBeNull();
    expect((await stream.next('snapshot')).items).toEqual([]);
    const id = await storage.sync.runs.insertLog(logRow('running'));
    expect((await stream.next('runs')).items).toEqual([expect.objectContaining({ id, status: 'running' })]);
    await storage.sync.runs.updateLog(id, {
      status: 'success',
      finished_at: '2026-01-01T00:00:02.000Z',
      duration_ms: 2000,
      command_output: 'fetched [redacted]\n',
    });
    expect((await stream.next('runs')).items).toEqual([
      expect.objectContaining({ id, status: 'success', duration: 2, commandOutput: 'fetched [redacted]\n' }),
    ]);
    stream.close();
  });

  it('is for signed-in members: anonymous 401 with a Bearer challenge, outsiders 403, bad ids 400', async () => {
    const anonymous = await fetch(`${base}/api/v1/sync/tenants/${tenant}/events`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const outside = await fetch(`${base}/api/v1/sync/tenants/${tenant}/events`, {
      headers: { authorization: `Bearer ${outsider}` },
    });
    expect(outside.status).toBe(403);
    for (const bad of ['0', '1e3', '-1', '%00', '9'.repeat(40)]) {
      const response = await fetch(`${base}/api/v1/sync/tenants/${bad}/events`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(response.status, bad).toBe(400);
    }
    const missing = await fetch(`${base}/api/v1/sync/tenants/999999/events`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(missing.status).toBe(404);
  });

  it('bounds the streams of one user and frees a slot when a client goes away', async () => {
    const streams = [];
    for (let i = 0; i < SYNC_EVENT_LIMITS.maxStreamsPerUser; i += 1) {
      const stream = await openStream(admin);
      await stream.next('snapshot');
      streams.push(stream);
    }
    const refused = await fetch(`${base}/api/v1/sync/tenants/${tenant}/events`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('sync_events_busy');
    streams.pop()!.close();
    const again = await openWhenFree();
    await again.next('snapshot');
    again.close();
    for (const stream of streams) stream.close();
  });

  it('ends open streams when the server closes (a browser tab does not hold the shutdown)', async () => {
    const stream = await openWhenFree();
    await stream.next('snapshot');
    await app.close();
    closed = true;
    await expect(stream.next('runs')).rejects.toThrow(/stream ended/);
  });
});
