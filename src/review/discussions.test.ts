import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, revParse } from '../../tests/support/git-fixtures.js';
import {
  createScratchDatabase,
  scratchStorage,
  type ScratchDatabase,
} from '../../tests/support/scratch-database.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { Permissions } from '../access/permissions.js';
import type { ObjectId } from '../git/object-id.js';
import type { MonorepoDeps } from '../monorepo/ports.js';
import { isMegaError } from '../platform/errors.js';
import { loadGitRepository } from '../repo/browse/testing/git-object-source.js';
import type { Storage } from '../storage/storage.js';
import { Discussions } from './discussions.js';
import { OPERATOR, type Actor } from './merge-gates.js';
import { ReviewEvents, type ReviewEvent } from './review-events.js';

/** Rights that read everything and write nothing, or write everything. */
const rights = (write: boolean) =>
  ({
    canRead: () => true,
    has: (_path: string, role: string) => write || role === 'read',
  }) as unknown as Permissions;
const user = (username: string, userId: number, write = false): Actor => ({
  username,
  userId,
  authority: rights(write),
});

async function code(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    return isMegaError(error) ? error.code : String(error);
  }
}

/** The service over a SQLite database and a git repository made by the CLI (objects only). */
describe('Discussions', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let scratch: ScratchDatabase;
  let storage: Storage;
  let discussions: Discussions;
  const events: ReviewEvent[] = [];
  const review = new ReviewEvents();
  let number: number;

  beforeAll(async () => {
    temp = await makeTempDir('mega-discussions-');
    const dir = join(temp.path, 'r');
    const head = (await makeRepo(dir, [{ 'a.txt': 'one\n' }, { 'a.txt': 'one\ntwo\n' }])) as ObjectId;
    const base = (await revParse(dir, 'HEAD~1')) as ObjectId;
    const repository = await loadGitRepository(dir);
    scratch = await createScratchDatabase('sqlite');
    storage = scratchStorage(scratch, 1 << 20);
    review.subscribe((event) => {
      events.push(event);
    });
    discussions = new Discussions({
      storage,
      monorepo: { objects: { source: repository.objects } } as unknown as MonorepoDeps,
      baseUrl: () => 'http://mega.test',
      events: review,
    });
    number = await storage.monorepo.mergeRequests.create({
      title: 'change',
      viewPath: '/projects',
      refName: 'refs/heads/main',
      pushedCommit: head,
      baseViewCommit: base,
      author: 'alice',
      authorId: 1,
      changes: [{ repoPath: '/projects/r', baseCommit: base, headCommit: head }],
    });
  });
  afterAll(async () => {
    await scratch?.drop();
    await temp?.remove();
  });

  it('records each comment and resolution on the timeline and announces it once', async () => {
    const bob = user('bob', 2);
    const thread = await discussions.start(number, bob, {
      body: 'why?',
      position: { repoPath: '/projects/r', path: 'a.txt', side: 'new', line: 2 },
    });
    const reply = await discussions.reply(number, thread.id, user('alice', 1), 'because');
    await discussions.resolve(number, thread.id, user('alice', 1));
    await discussions.resolve(number, reply.id, bob); // already resolved: nothing recorded
    await discussions.unresolve(number, thread.id, bob);
    await review.settled();
    expect(events.map((event) => event.type === 'merge_request' && [event.action, event.actor])).toEqual([
      ['commented', 'bob'],
      ['commented', 'alice'],
      ['resolved', 'alice'],
      ['unresolved', 'bob'],
    ]);
    expect(events[0]).toMatchObject({ number, paths: ['/projects', '/projects/r'] });
    const { items, total } = await discussions.timeline(number, rights(false), { limit: 10, offset: 0 });
    expect(total).toBe(5);
    expect(items.map((item) => [item.action, item.detail])).toEqual([
      ['opened', expect.any(String)],
      ['commented', String(thread.id)],
      ['commented', String(reply.id)],
      ['resolved', String(thread.id)],
      ['unresolved', String(thread.id)],
    ]);
    expect(items[2]?.comment).toMatchObject({ body: 'because', threadId: thread.id });
  });

  it('lets the thread author, the request author and writers resolve; others not', async () => {
    const thread = await discussions.start(number, user('bob', 2), { body: 'general' });
    expect(await code(discussions.resolve(number, thread.id, user('dave', 4)))).toBe('resolve_forbidden');
    expect(await code(discussions.resolve(number, thread.id, user('carol', 3, true)))).toBe('ok');
    expect(await code(discussions.unresolve(number, thread.id, user('bob', 2)))).toBe('ok');
    expect(await code(discussions.resolve(number, thread.id, user('alice', 1)))).toBe('ok');
    const list = await discussions.list(number, rights(false));
    expect(list.threads.find((item) => item.id === thread.id)).toMatchObject({
      resolved: true,
      resolvedBy: 'alice',
    });
  });

  it('judges authorship by user id, lets the operator moderate, and hides nothing from it', async () => {
    const thread = await discussions.start(number, user('bob', 2), { body: 'mine' });
    // Same name, other id (a renamed or recreated account): not the author.
    expect(await code(discussions.edit(number, thread.id, user('bob', 99), 'taken'))).toBe(
      'comment_forbidden',
    );
    const operator: Actor = { username: 'root', authority: OPERATOR };
    expect((await discussions.edit(number, thread.id, operator, 'moderated')).body).toBe('moderated');
    expect(await discussions.remove(number, thread.id, operator)).toEqual({
      id: thread.id,
      outcome: 'removed',
    });
    expect(await code(discussions.reply(number, thread.id, operator, 'gone?'))).toBe('thread_not_found');
    expect(await code(discussions.start(number + 1, operator, { body: 'x' }))).toBe(
      'merge_request_not_found',
    );
  });

  it('hides the request from those who cannot read every path of it', async () => {
    const blind = { canRead: (path: string) => path !== '/projects/r' } as unknown as Permissions;
    expect(await code(discussions.list(number, blind))).toBe('merge_request_not_found');
    expect(await code(discussions.timeline(number, blind, { limit: 1, offset: 0 }))).toBe(
      'merge_request_not_found',
    );
    expect(await code(discussions.start(number, { username: 'eve', authority: blind }, { body: 'x' }))).toBe(
      'merge_request_not_found',
    );
  });
});
