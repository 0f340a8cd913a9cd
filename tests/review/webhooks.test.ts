import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/review/webhooks/signature.js';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { eventually, startReceiver, startReviewServer, type ReviewServer } from './review-server.js';

const SECRET = 'webhook-test-secret';
const MR_LINE = /remote: merge request !(\d+)/;

interface Delivery {
  id: number;
  event: string;
  status: string;
  attempts: number;
  responseStatus?: number;
  error?: string;
}

/** Webhooks end to end: real pushes, a local receiver, signatures, retries, the log, redelivery. */
describe('webhooks', () => {
  let mega: ReviewServer;
  let n = 0;
  let hookedSha = '';
  const fresh = () => join(mega.work, `w${++n}`);
  const root = { token: 'root-token' };
  const createHook = (body: Record<string, unknown>, token = 'root-token') =>
    mega.api('POST', '/api/v1/webhooks', { token, body: { secret: SECRET, ...body } });
  const deliveries = async (hook: number): Promise<Delivery[]> =>
    (await mega.api('GET', `/api/v1/webhooks/${hook}/deliveries`, root)).body.items;

  beforeAll(async () => {
    // Short backoff: retries follow each other quickly (production waits 10 s, 1 min, …).
    mega = await startReviewServer('sqlite', { backoffMs: [20, 20], pollMs: 50, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await mega?.close();
  });

  it('delivers a signed ping, then a push event after a real git push to /import', async () => {
    const receiver = await startReceiver();
    try {
      const created = await createHook({ path: '/import', url: receiver.url, events: ['push'] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(JSON.stringify(created.body)).not.toContain(SECRET);
      await receiver.next(1);
      expect(receiver.received[0]?.headers['x-mega-event']).toBe('ping');

      const dir = fresh();
      const sha = await makeRepo(dir, [{ 'a.txt': 'a\n' }]);
      hookedSha = sha;
      await git(['push', `${mega.url}/import/hooked`, 'main'], { ...mega.as.bob, cwd: dir });
      await receiver.next(2);
      const push = receiver.received[1];
      expect(push?.headers['x-mega-event']).toBe('push');
      expect(push?.headers['user-agent']).toMatch(/^Mega-Hookshot\//);
      expect(push?.headers['x-mega-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(verifySignature(SECRET, push?.body ?? '', push?.headers['x-mega-signature-256'] as string)).toBe(
        true,
      );
      expect(
        verifySignature('other-secret', push?.body ?? '', push?.headers['x-mega-signature-256'] as string),
      ).toBe(false);
      expect(JSON.parse(push?.body ?? '{}')).toMatchObject({
        repository: { path: '/import/hooked' },
        ref: 'refs/heads/main',
        before: '0'.repeat(40),
        after: sha,
        pusher: 'bob',
      });
      const log = await eventually(
        () => deliveries(created.body.id),
        (items) => items.every((item) => item.status === 'delivered'),
      );
      expect(
        log.map((item) => `${item.event}:${item.status}:${item.attempts}:${item.responseStatus}`),
      ).toEqual(['push:delivered:1:200', 'ping:delivered:1:200']);
      // A push elsewhere is not this webhook's.
      const other = fresh();
      await makeRepo(other, [{ 'b.txt': 'b\n' }]);
      await git(['push', `${mega.url}/projects/elsewhere`, 'main'], { ...mega.as.bob, cwd: other });
      await mega.app.services.review.events.settled();
      expect((await deliveries(created.body.id)).length).toBe(2);
      await mega.api('DELETE', `/api/v1/webhooks/${created.body.id}`, root);
    } finally {
      await receiver.close();
    }
  });

  it('sends merge request events for pushes to /projects', async () => {
    const receiver = await startReceiver();
    try {
      const dir = fresh();
      await makeRepo(dir, [{ 'README.md': '# svc\n' }]);
      await git(['push', `${mega.url}/projects/svc`, 'main'], { ...mega.as.bob, cwd: dir });
      const created = await createHook({
        path: '/projects/svc',
        url: receiver.url,
        events: ['merge_request', 'push'],
      });
      expect(created.status).toBe(201);
      await receiver.next(1); // ping
      await commitFile(dir, 'README.md', '# svc v2\n', 'second');
      const pushed = await git(['push', `${mega.url}/projects/svc`, 'main'], { ...mega.as.bob, cwd: dir });
      const number = Number(MR_LINE.exec(pushed.stderr)?.[1]);
      expect(number, pushed.stderr).toBeGreaterThan(0);
      const merged = await mega.api('POST', `/api/v1/merge-requests/${number}/merge`, root);
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      const actionOf = (hook: (typeof receiver.received)[number]) =>
        hook.headers['x-mega-event'] === 'merge_request'
          ? (JSON.parse(hook.body) as { action?: string }).action
          : undefined;
      await eventually(
        async () => receiver.received.map((hook) => actionOf(hook) ?? hook.headers['x-mega-event']),
        (events) => events.includes('opened') && events.includes('merged') && events.includes('push'),
      );
      const mr = receiver.received.find((hook) => actionOf(hook) === 'merged');
      expect(JSON.parse(mr?.body ?? '{}')).toMatchObject({
        action: 'merged',
        sender: 'root',
        mergeRequest: {
          number,
          author: 'bob',
          url: expect.stringMatching(new RegExp(`/ui/merge-requests/${number}$`)),
          paths: ['/projects/svc'],
        },
      });
      expect(verifySignature(SECRET, mr?.body ?? '', mr?.headers['x-mega-signature-256'] as string)).toBe(
        true,
      );
      await mega.api('DELETE', `/api/v1/webhooks/${created.body.id}`, root);
    } finally {
      await receiver.close();
    }
  });

  it('delivers posted commit statuses with their link and summary', async () => {
    const receiver = await startReceiver();
    try {
      const created = await createHook({ path: '/import/hooked', url: receiver.url, events: ['status'] });
      await receiver.next(1); // ping
      const posted = await mega.api('POST', `/api/v1/repos/statuses/${hookedSha}?repo=/import/hooked`, {
        ...root,
        body: {
          state: 'failure',
          context: 'ci/test',
          targetUrl: 'https://ci.example/7',
          description: 'red',
        },
      });
      expect(posted.status).toBe(201);
      await receiver.next(2);
      expect(receiver.received[1]?.headers['x-mega-event']).toBe('status');
      expect(JSON.parse(receiver.received[1]?.body ?? '{}')).toMatchObject({
        repository: { path: '/import/hooked' },
        sha: hookedSha,
        context: 'ci/test',
        state: 'failure',
        targetUrl: 'https://ci.example/7',
        description: 'red',
        sender: 'root',
      });
      await mega.api('DELETE', `/api/v1/webhooks/${created.body.id}`, root);
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver with backoff, logs every attempt, and redelivers on demand', async () => {
    // ping: 500, 500, 200 → delivered after 3 attempts.
    const receiver = await startReceiver([500, 500, 200]);
    try {
      const created = await createHook({ path: '/', url: receiver.url, events: ['status'] });
      const hook = created.body.id as number;
      const [ping] = await eventually(
        () => deliveries(hook),
        (items) => items[0]?.status === 'delivered',
      );
      expect(ping).toMatchObject({ event: 'ping', status: 'delivered', attempts: 3, responseStatus: 200 });
      expect(receiver.received).toHaveLength(3);
      const ids = new Set(receiver.received.map((hit) => hit.headers['x-mega-delivery']));
      expect(ids.size).toBe(1); // one delivery, three attempts

      const detail = await mega.api('GET', `/api/v1/webhooks/${hook}/deliveries/${ping?.id}`, root);
      expect(detail.body.payload).toMatchObject({ hook: { id: hook, path: '/' } });
      expect(detail.body.responseBody).toBe('answer 200');

      const again = await mega.api('POST', `/api/v1/webhooks/${hook}/deliveries/${ping?.id}/redeliver`, root);
      expect(again.status).toBe(202);
      await receiver.next(4);
      const log = await eventually(
        () => deliveries(hook),
        (items) => items.length === 2 && items[0]?.status === 'delivered',
      );
      expect(log[0]).toMatchObject({ event: 'ping', attempts: 1, responseStatus: 200 });
      expect(receiver.received[3]?.headers['x-mega-delivery']).not.toBe(
        receiver.received[0]?.headers['x-mega-delivery'],
      );
      expect(receiver.received[3]?.body).toBe(receiver.received[0]?.body);
      await mega.api('DELETE', `/api/v1/webhooks/${hook}`, root);
    } finally {
      await receiver.close();
    }
  });

  it('gives up on a dead receiver after the last retry (failed)', async () => {
    const receiver = await startReceiver();
    const deadUrl = receiver.url;
    await receiver.close(); // nothing listens there any more
    const created = await createHook({ path: '/', url: deadUrl, events: ['push'] });
    const [ping] = await eventually(
      () => deliveries(created.body.id),
      (items) => items[0]?.status === 'failed',
    );
    expect(ping).toMatchObject({ status: 'failed', attempts: 3 });
    expect(ping?.error).toBeTruthy();
    expect(ping?.responseStatus).toBeUndefined();
    await mega.api('DELETE', `/api/v1/webhooks/${created.body.id}`, root);
  });

  it('is managed by admins of the path only, and refuses hostile input', async () => {
    const url = 'http://127.0.0.1:9/hook';
    const code = async (body: Record<string, unknown>, token = 'root-token') => {
      const result = await createHook({ path: '/import', url, events: ['push'], ...body }, token);
      return `${result.status} ${result.body?.code}`;
    };
    expect(await code({}, 'bob-token')).toBe('403 access_denied');
    expect(
      (
        await mega.api('POST', '/api/v1/webhooks', {
          body: { path: '/', url, secret: SECRET, events: ['push'] },
        })
      ).status,
    ).toBe(401);
    for (const bad of [
      'ftp://example.com/',
      'javascript:alert(1)',
      '/relative',
      'http://',
      `http://x/${'a'.repeat(2100)}`,
    ]) {
      expect(await code({ url: bad }), bad).toBe('400 webhook_url_invalid');
    }
    expect(await code({ url: 'https://user:pass@example.com/hook' })).toBe('400 webhook_url_invalid');
    expect(await code({ secret: 's'.repeat(257) })).toBe('400 webhook_secret_invalid');
    expect(await code({ secret: 's'.repeat(5000) })).toBe('400 body_invalid');
    expect(await code({ secret: 'short' })).toBe('400 webhook_secret_invalid');
    expect(await code({ secret: 'tab\there-secret' })).toBe('400 webhook_secret_invalid');
    expect(await code({ events: ['push', 'deploy'] })).toBe('400 webhook_events_invalid');
    expect(await code({ events: [] })).toBe('400 webhook_events_invalid');
    expect(await code({ path: '/import/../x' })).toBe('400 access_path_invalid');
    expect(await code({ events: 'push' })).toBe('400 body_invalid');

    // A webhook of a path bob does not administer is invisible to him.
    const created = await createHook({ path: '/import', url, events: ['push'], active: false });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect((await mega.api('GET', `/api/v1/webhooks/${id}`, { token: 'bob-token' })).status).toBe(404);
    expect((await mega.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: 'bob-token' })).status).toBe(
      404,
    );
    expect((await mega.api('DELETE', `/api/v1/webhooks/${id}`, { token: 'bob-token' })).status).toBe(404);
    expect((await mega.api('GET', '/api/v1/webhooks', { token: 'bob-token' })).body).toEqual({ items: [] });
    const patched = await mega.api('PATCH', `/api/v1/webhooks/${id}`, {
      ...root,
      body: { events: ['push', 'status'], url: 'https://hooks.example/x' },
    });
    expect(patched.body).toMatchObject({
      events: ['push', 'status'],
      url: 'https://hooks.example/x',
      active: false,
    });
    const refused = await mega.api('PATCH', `/api/v1/webhooks/${id}`, {
      ...root,
      body: { url: 'file:///etc/passwd' },
    });
    expect(refused.body.code).toBe('webhook_url_invalid');
    expect((await mega.api('GET', `/api/v1/webhooks/999999/deliveries/1`, root)).status).toBe(404);
    expect((await mega.api('DELETE', `/api/v1/webhooks/${id}`, root)).status).toBe(204);
    expect((await mega.api('GET', `/api/v1/webhooks/${id}`, root)).status).toBe(404);
  });
});
