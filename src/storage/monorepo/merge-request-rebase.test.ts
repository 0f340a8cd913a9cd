import { expect, it } from 'vitest';
import { parseObjectId } from '../../git/object-id.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { MergeRequestStore } from './merge-request-store.js';

const id = (c: string) => parseObjectId(c.repeat(40));

describeEachDialect('merge request rebase (update from the target)', (getDb) => {
  it('moves the proposals with a compare-and-swap on the old heads, all or nothing', async () => {
    const { database } = getDb();
    const mrs = new MergeRequestStore(database.db, database.capabilities);
    const number = await mrs.create({
      title: 't',
      viewPath: '/projects/rebase',
      refName: 'refs/heads/main',
      pushedCommit: id('1'),
      baseViewCommit: id('2'),
      author: 'alice',
      authorId: 1,
      changes: [
        { repoPath: '/projects/r1', baseCommit: id('3'), headCommit: id('4') },
        { repoPath: '/projects/r2', baseCommit: id('5'), headCommit: id('6') },
      ],
    });
    const event = { action: 'target_updated', actor: 'bob', detail: 'x' };
    // One stale head: nothing changes, not even the first repository's row.
    expect(
      await mrs.rebaseChanges(
        number,
        [
          { repoPath: '/projects/r1', oldHead: id('4'), baseCommit: id('7'), headCommit: id('8') },
          { repoPath: '/projects/r2', oldHead: id('9'), baseCommit: id('a'), headCommit: id('b') },
        ],
        event,
      ),
    ).toBe(false);
    expect((await mrs.get(number))?.changes.map((c) => c.headCommit).sort()).toEqual([id('4'), id('6')]);

    expect(
      await mrs.rebaseChanges(
        number,
        [{ repoPath: '/projects/r1', oldHead: id('4'), baseCommit: id('7'), headCommit: id('8') }],
        event,
      ),
    ).toBe(true);
    const moved = await mrs.get(number);
    expect(moved?.changes.find((c) => c.repoPath === '/projects/r1')).toMatchObject({
      baseCommit: id('7'),
      headCommit: id('8'),
    });
    expect(moved?.mergeability.state).toBe('unknown');
    expect((await mrs.events(number)).map((e) => e.action)).toEqual(['opened', 'target_updated']);

    // Not open any more: refused.
    expect(await mrs.transition(number, 'open', 'closed', { action: 'closed', actor: 'alice' })).toBe(true);
    expect(
      await mrs.rebaseChanges(
        number,
        [{ repoPath: '/projects/r1', oldHead: id('8'), baseCommit: id('c'), headCommit: id('d') }],
        event,
      ),
    ).toBe(false);
  });
});
