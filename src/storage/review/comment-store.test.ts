import { expect, it } from 'vitest';
import { parseObjectId } from '../../git/object-id.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { MergeRequestStore } from '../monorepo/merge-request-store.js';
import { createStorage } from '../storage.js';
import { CommentStore } from './comment-store.js';

const id = (c: string) => parseObjectId(c.repeat(40));

describeEachDialect('comment store', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      comments: new CommentStore(database.db, database.capabilities),
      mrs: new MergeRequestStore(database.db, database.capabilities),
    };
  };
  let mr = 0;
  const openRequest = async () => {
    const { mrs } = stores();
    return mrs.create({
      title: `mr ${++mr}`,
      viewPath: '/projects/foo',
      refName: 'refs/heads/main',
      pushedCommit: id('a'),
      baseViewCommit: id('b'),
      author: 'alice',
      authorId: 1,
      changes: [{ repoPath: '/projects/foo', baseCommit: id('b'), headCommit: id('a') }],
    });
  };

  it('stores threads, line positions and replies, and lists them in one read in order', async () => {
    const { comments } = stores();
    const number = await openRequest();
    const other = await openRequest();
    const general = await comments.add({ mrNumber: number, body: 'looks good', author: 'bob', authorId: 2 });
    const position = {
      repoPath: '/projects/foo',
      path: `src/${'d/'.repeat(200)}a.txt`,
      side: 'new' as const,
      line: 3,
      commitId: id('a'),
    };
    const inline = await comments.add({ mrNumber: number, position, body: 'ünïcode ✓ 😀', author: 'bob' });
    const reply = await comments.add({
      mrNumber: number,
      threadId: inline.id,
      body: 'fixed',
      author: 'alice',
    });
    await comments.add({ mrNumber: other, body: 'elsewhere', author: 'bob' });

    const listed = await comments.listFor(number);
    expect(listed.map((c) => c.id)).toEqual([general.id, inline.id, reply.id]);
    expect(listed[0]).toEqual(general);
    expect(listed[1]?.position).toEqual(position);
    expect(listed[1]?.body).toBe('ünïcode ✓ 😀');
    expect(listed[1]?.authorId).toBeUndefined();
    expect(listed[2]?.threadId).toBe(inline.id);
    expect(await comments.get(reply.id)).toEqual(reply);
    expect(await comments.get(999_999)).toBeUndefined();
    expect((await comments.getMany([general.id, reply.id, 999_999])).map((c) => c.id).sort()).toEqual(
      [general.id, reply.id].sort(),
    );
    expect(await comments.getMany([])).toEqual([]);
  });

  it('resolves a thread once (compare-and-swap), only on its first comment', async () => {
    const { comments } = stores();
    const number = await openRequest();
    const root = await comments.add({ mrNumber: number, body: 'why?', author: 'bob' });
    const reply = await comments.add({
      mrNumber: number,
      threadId: root.id,
      body: 'because',
      author: 'alice',
    });
    const raced = await Promise.all([
      comments.setResolved(root.id, true, 'alice'),
      comments.setResolved(root.id, true, 'bob'),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const resolved = await comments.get(root.id);
    expect(resolved?.resolved).toBe(true);
    expect(['alice', 'bob']).toContain(resolved?.resolvedBy);
    expect(resolved?.updatedAt).toBe(root.updatedAt);
    expect(await comments.setResolved(reply.id, true, 'bob')).toBe(false);
    expect(await comments.setResolved(root.id, false, 'bob')).toBe(true);
    expect(await comments.get(root.id)).toMatchObject({ resolved: false, resolvedBy: undefined });
    expect(await comments.setResolved(root.id, false, 'bob')).toBe(false);
  });

  it('edits bodies; deletes a comment, or keeps a thread root with replies as a tombstone', async () => {
    const { comments } = stores();
    const number = await openRequest();
    const root = await comments.add({ mrNumber: number, body: 'first', author: 'bob' });
    const reply = await comments.add({
      mrNumber: number,
      threadId: root.id,
      body: 'second',
      author: 'alice',
    });
    const lone = await comments.add({ mrNumber: number, body: 'lone', author: 'bob' });
    await comments.setBody(reply.id, 'second, edited');
    expect((await comments.get(reply.id))?.body).toBe('second, edited');
    expect(await comments.delete(root.id)).toBe('tombstone');
    expect((await comments.get(root.id))?.body).toBe('');
    expect(await comments.hasReplies(root.id)).toBe(true);
    // A first comment without replies stays as a tombstone too (a racing reply finds its thread).
    expect(await comments.delete(lone.id)).toBe('removed');
    expect((await comments.get(lone.id))?.body).toBe('');
    expect(await comments.hasReplies(lone.id)).toBe(false);
    expect(await comments.delete(reply.id)).toBe('removed');
    expect(await comments.get(reply.id)).toBeUndefined();
    expect(await comments.hasReplies(root.id)).toBe(false);
    expect((await comments.listFor(number)).map((c) => c.id)).toEqual([root.id, lone.id]);
  });

  it('pages the timeline of merge_request_event rows, oldest first, with the total', async () => {
    const { comments, mrs } = stores();
    const number = await openRequest();
    for (let i = 0; i < 4; i++)
      await mrs.recordEvent(number, { action: 'commented', actor: 'bob', detail: `${i}` });
    const first = await comments.timeline(number, { limit: 2, offset: 0 });
    expect(first.total).toBe(5);
    expect(first.events.map((e) => e.action)).toEqual(['opened', 'commented']);
    const rest = await comments.timeline(number, { limit: 10, offset: 2 });
    expect(rest.events.map((e) => e.detail)).toEqual(['1', '2', '3']);
    expect(rest.events[0]!.id).toBeGreaterThan(first.events[1]!.id);
    expect((await comments.timeline(number, { limit: 10, offset: 10 })).events).toEqual([]);
  });

  it('is reachable in a transaction: a comment and its timeline entry commit together', async () => {
    const { database, dataDir, url } = getDb();
    const storage = createStorage(database, { databaseUrl: url, dataDir, largeObjectThreshold: 1 << 20 });
    const number = await openRequest();
    await expect(
      storage.transaction(async (scope) => {
        await scope.review.comments.add({ mrNumber: number, body: 'lost', author: 'bob' });
        await scope.monorepo.mergeRequests.recordEvent(number, { action: 'commented', actor: 'bob' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await storage.review.comments.listFor(number)).toEqual([]);
    expect((await storage.review.comments.timeline(number, { limit: 10, offset: 0 })).total).toBe(1);
  });
});
