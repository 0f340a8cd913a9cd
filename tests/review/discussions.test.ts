import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import {
  createScratchDatabase,
  scratchStorage,
  type DialectName,
  type ScratchDatabase,
} from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import {
  clone,
  openDirectoryStorage,
  startDirectoryServer,
  type DirectoryServer,
} from '../monorepo/harness.js';

const DIALECTS: ReadonlyArray<readonly [DialectName, boolean]> = [
  ['sqlite', true],
  ['postgres', await serviceAvailable('postgres')],
  ['mysql', await serviceAvailable('mysql')],
];

const MR_LINE = /remote: merge request !(\d+)/;

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * Discussions on merge requests (issue 22) against `mega serve`: a real push opens the request,
 * then alice (its author), bob (an administrator) and dave (a plain user) talk over REST.
 */
for (const [dialect, available] of DIALECTS) {
  describe.skipIf(!available)(`merge request discussions and timeline [${dialect}]`, () => {
    let mega: DirectoryServer;
    let scratch: ScratchDatabase | undefined;
    let env: Record<string, string>;
    let storage: Storage;
    let dave: { token: string };
    let work: string;
    let number: number;
    let secret: number;
    let head: string;
    let n = 0;

    const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Reply> => {
      const response = await fetch(`${mega.server.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const mr = (suffix: string, id = number) => `/api/v1/merge-requests/${id}${suffix}`;
    const push = async (dir: string, path: string) => {
      const pushed = await git(['push', `${mega.server.url}${path}`, 'main'], { ...mega.as.alice, cwd: dir });
      return Number(MR_LINE.exec(pushed.stderr)?.[1]);
    };
    const line = (line: number, extra: Record<string, unknown> = {}) => ({
      repoPath: '/projects/foo',
      path: 'src/a.txt',
      side: 'new',
      line,
      ...extra,
    });

    beforeAll(async () => {
      env = {};
      if (dialect !== 'sqlite') {
        scratch = await createScratchDatabase(dialect, { migrate: false });
        env.MEGA_DATABASE_URL = scratch.url;
      }
      mega = await startDirectoryServer({ env });
      for (const [name, files] of [
        ['foo', { 'README.md': '# foo\n', 'src/a.txt': 'a1\na2\na3\n', 'src/b.txt': 'b1\n' }],
        ['bar', { 'bar.txt': 'bar\n' }],
        ['secret', { 'plans.txt': 'plans\n' }],
      ] as const) {
        await makeRepo(join(mega.work, name), [files]);
        await push(join(mega.work, name), `/projects/${name}`);
      }
      storage = scratch ? scratchStorage(scratch, 1 << 20) : await openDirectoryStorage(mega.dataDir);
      // A user without administrator rights, in the server's database (whichever it is).
      const created = await runMega(['token', 'create', 'dave', '--data', mega.dataDir], { env });
      expect(created.code, created.stderr).toBe(0);
      dave = { token: created.stdout.trim().split('\n').pop() ?? '' };
      await storage.access.setPathSetting('/projects/secret', { visibility: 'private' });

      work = join(mega.work, `c${++n}`);
      await clone(`${mega.server.url}/projects/foo`, work);
      head = await commitFile(work, 'src/a.txt', 'a1\nA2\na3\na4\n', 'change a');
      number = await push(work, '/projects/foo');
      expect(number).toBeGreaterThan(0);

      const hidden = join(mega.work, `c${++n}`);
      await git(['clone', '-q', `${mega.server.url}/projects/secret`, hidden], mega.as.alice);
      await commitFile(hidden, 'plans.txt', 'new plans\n', 'plans');
      secret = await push(hidden, '/projects/secret');
      expect(secret).toBeGreaterThan(number);
    });
    afterAll(async () => {
      if (!scratch) await storage?.close();
      await mega?.stop();
      await scratch?.drop();
    });

    it('threads, line comments, replies, resolve and unresolve, edits and deletes', async () => {
      const { alice, bob } = mega.tokens;
      const general = await call('POST', mr('/discussions'), bob, { body: 'Nice change.' });
      expect(general.status, JSON.stringify(general.body)).toBe(201);
      expect(general.body).toMatchObject({
        resolved: false,
        outdated: false,
        comments: [{ body: 'Nice change.' }],
      });
      expect(general.body.position).toBeUndefined();

      const inline = await call('POST', mr('/discussions'), bob, { body: 'Why capital?', position: line(2) });
      expect(inline.status, JSON.stringify(inline.body)).toBe(201);
      expect(inline.body.position).toEqual({ ...line(2), commitId: head });
      const thread = inline.body.id as number;

      const reply = await call('POST', mr(`/discussions/${thread}/replies`), alice, { body: 'Style.' });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ threadId: thread, author: 'alice', deleted: false, edited: false });
      // A reply to a reply joins the thread of the first comment.
      const nested = await call('POST', mr(`/discussions/${reply.body.id}/replies`), dave.token, {
        body: '+1',
      });
      expect(nested.status).toBe(201);
      expect(nested.body.threadId).toBe(thread);

      const listed = await call('GET', mr('/discussions'));
      expect(listed.status).toBe(200);
      expect(listed.body.unresolved).toBe(2);
      expect(listed.body.items.map((t: { id: number }) => t.id)).toEqual([general.body.id, thread]);
      expect(listed.body.items[1].comments.map((c: { body: string }) => c.body)).toEqual([
        'Why capital?',
        'Style.',
        '+1',
      ]);

      // dave neither wrote the thread nor the request, and may not write /projects/foo.
      const refused = await call('POST', mr(`/discussions/${thread}/resolve`), dave.token);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('resolve_forbidden');
      const resolved = await call('POST', mr(`/discussions/${thread}/resolve`), alice);
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({ id: thread, resolved: true, resolvedBy: 'alice' });
      expect((await call('POST', mr(`/discussions/${nested.body.id}/resolve`), alice)).body.resolved).toBe(
        true,
      );
      expect((await call('GET', mr('/discussions'))).body.unresolved).toBe(1);
      const reopened = await call('POST', mr(`/discussions/${thread}/unresolve`), bob);
      expect(reopened.body).toMatchObject({ resolved: false });
      expect(reopened.body.resolvedBy).toBeUndefined();
      // dave may resolve his own thread.
      const own = await call('POST', mr('/discussions'), dave.token, { body: 'question' });
      expect((await call('POST', mr(`/discussions/${own.body.id}/resolve`), dave.token)).status).toBe(200);

      const notYours = await call('PATCH', mr(`/comments/${inline.body.id}`), alice, { body: 'hijack' });
      expect(notYours.status).toBe(403);
      expect(notYours.body.code).toBe('comment_forbidden');
      expect((await call('DELETE', mr(`/comments/${inline.body.id}`), alice)).status).toBe(403);
      const edited = await call('PATCH', mr(`/comments/${inline.body.id}`), bob, { body: 'Why capital A?' });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ body: 'Why capital A?', edited: true });

      expect((await call('DELETE', mr(`/comments/${inline.body.id}`), bob)).body).toEqual({
        id: inline.body.id,
        outcome: 'tombstone',
      });
      expect((await call('DELETE', mr(`/comments/${general.body.id}`), bob)).body.outcome).toBe('removed');
      expect((await call('PATCH', mr(`/comments/${general.body.id}`), bob, { body: 'x' })).status).toBe(404);
      expect((await call('PATCH', mr(`/comments/${inline.body.id}`), bob, { body: 'x' })).status).toBe(404);
      const after = (await call('GET', mr('/discussions'))).body;
      expect(after.items.map((t: { id: number }) => t.id)).toEqual([thread, own.body.id]);
      expect(after.items[0].comments[0]).toMatchObject({ deleted: true, body: '' });
      // Replies still go to a thread whose first comment was deleted.
      expect((await call('POST', mr(`/discussions/${thread}/replies`), bob, { body: 'ok' })).status).toBe(
        201,
      );
    });

    it('refuses bad positions, bodies, threads and callers with clear errors', async () => {
      const { bob } = mega.tokens;
      const expectError = async (reply: Promise<Reply>, status: number, code: string) => {
        const got = await reply;
        expect(got.status, JSON.stringify(got.body)).toBe(status);
        expect(got.body.code).toBe(code);
      };
      const start = (body: unknown, token: string | undefined = bob, id = number) =>
        call('POST', mr('/discussions', id), token, body);

      await expectError(start({ body: 'x', position: line(0) }), 400, 'body_invalid');
      await expectError(start({ body: 'x', position: line(5) }), 400, 'comment_position_invalid');
      await expectError(
        start({ body: 'x', position: line(4, { side: 'old' }) }),
        400,
        'comment_position_invalid',
      );
      await expectError(
        start({ body: 'x', position: line(1, { path: 'README.md' }) }),
        400,
        'comment_position_invalid',
      );
      await expectError(
        start({ body: 'x', position: line(1, { path: 'nope.txt' }) }),
        400,
        'comment_position_invalid',
      );
      await expectError(
        start({ body: 'x', position: line(1, { path: '../x' }) }),
        400,
        'comment_position_invalid',
      );
      await expectError(
        start({ body: 'x', position: line(1, { repoPath: '/projects/bar', path: 'bar.txt' }) }),
        400,
        'comment_position_invalid',
      );
      await expectError(start({ body: 'x', position: line(1, { side: 'middle' }) }), 400, 'body_invalid');
      await expectError(start({ body: 'x', position: line(1, { extra: 1 }) }), 400, 'body_invalid');
      await expectError(start({ body: 'x', position: { ...line(1), line: '1' } }), 400, 'body_invalid');

      await expectError(start({ body: '' }), 400, 'comment_body_invalid');
      await expectError(start({ body: '   \n' }), 400, 'comment_body_invalid');
      await expectError(start({ body: 'x'.repeat(64 * 1024 + 1) }), 413, 'comment_body_too_large');
      await expectError(start({ body: 'x'.repeat(1024 * 1024) }), 400, 'body_invalid');
      await expectError(start({ body: 'a\u0000b' }), 400, 'text_contains_nul');
      await expectError(start({ body: 'esc\u001b[2J' }), 400, 'comment_body_invalid');
      await expectError(start({}), 400, 'body_invalid');
      await expectError(start({ body: 42 }), 400, 'body_invalid');
      await expectError(start('[1]'), 400, 'body_invalid');

      await expectError(
        call('POST', mr('/discussions/999999/replies'), bob, { body: 'x' }),
        404,
        'thread_not_found',
      );
      await expectError(call('POST', mr('/discussions/999999/resolve'), bob), 404, 'thread_not_found');
      await expectError(call('POST', mr('/discussions/0/replies'), bob, { body: 'x' }), 400, 'path_invalid');
      await expectError(call('PATCH', mr('/comments/999999'), bob, { body: 'x' }), 404, 'comment_not_found');
      await expectError(call('DELETE', mr('/comments/999999'), bob), 404, 'comment_not_found');
      await expectError(
        call('POST', mr('/discussions/99999999999999999999/replies'), bob, { body: 'x' }),
        400,
        'path_invalid',
      );
      await expectError(call('POST', mr('/discussions/abc/resolve'), bob), 400, 'path_invalid');
      const mine = await start({ body: 'to edit' });
      await expectError(
        call('PATCH', mr(`/comments/${mine.body.id}`), bob, { body: '' }),
        400,
        'comment_body_invalid',
      );
      await expectError(
        call('PATCH', mr(`/comments/${mine.body.id}`), bob, { body: 'x\u0000' }),
        400,
        'text_contains_nul',
      );
      await expectError(
        call('PATCH', mr(`/comments/${mine.body.id}`), bob, { body: 'é'.repeat(40_000) }),
        413,
        'comment_body_too_large',
      );
      expect((await call('PATCH', mr(`/comments/${mine.body.id}`), undefined, { body: 'x' })).status).toBe(
        401,
      );
      await expectError(call('GET', mr('/discussions', 999_999)), 404, 'merge_request_not_found');

      // A thread of another merge request is not a thread of this one.
      const elsewhere = await start({ body: 'on the secret one' }, bob, secret);
      expect(elsewhere.status).toBe(201);
      await expectError(
        call('POST', mr(`/discussions/${elsewhere.body.id}/replies`), bob, { body: 'x' }),
        404,
        'thread_not_found',
      );
      await expectError(call('DELETE', mr(`/comments/${elsewhere.body.id}`), bob), 404, 'comment_not_found');

      // Anonymous writes: 401; a user who cannot see the request: 404 as for a missing one.
      expect((await start({ body: 'anonymous' }, '')).status).toBe(401);
      expect((await call('POST', mr(`/discussions/${elsewhere.body.id}/resolve`, secret))).status).toBe(401);
      for (const attempt of [
        call('GET', mr('/discussions', secret), dave.token),
        call('GET', mr('/timeline', secret), dave.token),
        call('GET', mr('/discussions', secret)),
        start({ body: 'peek' }, dave.token, secret),
        call('POST', mr(`/discussions/${elsewhere.body.id}/replies`, secret), dave.token, { body: 'x' }),
      ]) {
        await expectError(attempt, 404, 'merge_request_not_found');
      }
    });

    it('flags line comments outdated after an update changed their line, and keeps the timeline', async () => {
      const { alice, bob } = mega.tokens;
      const changed = await call('POST', mr('/discussions'), bob, { body: 'on A2', position: line(2) });
      const kept = await call('POST', mr('/discussions'), bob, { body: 'on a3', position: line(3) });
      const old = await call('POST', mr('/discussions'), bob, {
        body: 'old a2',
        position: line(2, { side: 'old' }),
      });
      const other = await call('POST', mr('/discussions'), bob, {
        body: 'b',
        position: line(1, { path: 'src/b.txt', side: 'old' }),
      });
      expect(other.status).toBe(400); // b.txt is not in the diff

      await commitFile(work, 'src/a.txt', 'a1\nAA2\na3\na4\n', 'change a again');
      expect(await push(work, '/projects/foo')).toBe(number);
      const threads = (await call('GET', mr('/discussions'))).body.items as Array<{
        id: number;
        outdated: boolean;
      }>;
      const flag = (id: number) => threads.find((thread) => thread.id === id)?.outdated;
      expect(flag(changed.body.id)).toBe(true);
      expect(flag(kept.body.id)).toBe(false);
      expect(flag(old.body.id)).toBe(false);

      // A comment on a merged request is still accepted (the review goes on after a merge).
      const merged = await call('POST', mr('/merge'), bob);
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      const late = await call('POST', mr('/discussions'), alice, { body: 'thanks!' });
      expect(late.status).toBe(201);

      const timeline = (await call('GET', mr('/timeline?limit=100'))).body;
      const actions = timeline.items.map((item: { action: string }) => item.action);
      expect(actions[0]).toBe('opened');
      for (const action of ['commented', 'resolved', 'unresolved', 'updated', 'merged']) {
        expect(actions).toContain(action);
      }
      expect(actions.indexOf('updated')).toBeLessThan(actions.indexOf('merged'));
      expect(actions[actions.length - 1]).toBe('commented');
      expect(timeline.items[timeline.items.length - 1].comment).toMatchObject({
        body: 'thanks!',
        author: 'alice',
      });
      expect(timeline.total).toBe(timeline.items.length);
      const ids = timeline.items.map((item: { id: number }) => item.id);
      expect([...ids].sort((a: number, b: number) => a - b)).toEqual(ids);
      // A deleted first comment keeps its entry, marked deleted, without its text.
      const deleted = timeline.items.filter(
        (item: { action: string; comment?: { deleted: boolean } }) => item.comment?.deleted,
      );
      expect(deleted.length).toBe(2);
      expect(deleted.every((item: { comment: { body: string } }) => item.comment.body === '')).toBe(true);

      const first = (await call('GET', mr('/timeline?limit=2'))).body;
      const page = (await call('GET', mr(`/timeline?limit=2&cursor=${first.nextCursor}`))).body;
      expect(page.items.map((item: { id: number }) => item.id)).toEqual(ids.slice(2, 4));
      expect(page).toMatchObject({ total: timeline.total, prevCursor: expect.any(String) });
      expect((await call('GET', mr('/timeline?limit=1000'))).status).toBe(400);
    });
  });
}
