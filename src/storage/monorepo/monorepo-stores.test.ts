import { expect, it } from 'vitest';
import { parseObjectId } from '../../git/object-id.js';
import { RefStore } from '../ref-store.js';
import { RepositoryStore } from '../repository-store.js';
import { createStorage } from '../storage.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { DirectoryStore } from './directory-store.js';
import { MergeRequestStore } from './merge-request-store.js';
import { ObjectHolders } from './object-holders.js';
import { ViewCommitStore } from './view-commit-store.js';

const id = (c: string) => parseObjectId(c.repeat(40));
const blob = (text: string) => ({ type: 'blob' as const, data: Buffer.from(text) });

describeEachDialect('monorepo stores', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      views: new ViewCommitStore(database.db, database.capabilities),
      mrs: new MergeRequestStore(database.db, database.capabilities),
      directory: new DirectoryStore(database.db, database.capabilities),
      holders: new ObjectHolders(database.db, database.capabilities),
    };
  };
  const storage = () => {
    const { database, dataDir, url } = getDb();
    return createStorage(database, { databaseUrl: url, dataDir, largeObjectThreshold: 1024 * 1024 });
  };

  it('keeps one linear chain per view path, racing appends resolve to one winner', async () => {
    const { views } = stores();
    const path = `/projects/chain-${'x'.repeat(600)}`;
    const chain = { viewPath: path, hidden: [] };
    expect(await views.tip(chain)).toBeUndefined();
    const first = {
      ...chain,
      commitId: id('a'),
      treeId: id('b'),
      parentId: undefined,
      directoryCommit: id('c'),
      links: [{ at: '' }],
    };
    expect(await views.append(first)).toBe(true);
    expect(await views.append(first)).toBe(true); // the same step again is not an error
    const winner = { ...first, commitId: id('d'), treeId: id('e'), parentId: id('a') };
    const loser = { ...first, commitId: id('f'), treeId: id('e'), parentId: id('a') };
    const results = await Promise.all([views.append(winner), views.append(loser)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const tip = await views.tip(chain);
    expect([id('d'), id('f')]).toContain(tip?.commitId);
    expect(tip?.parentId).toBe(id('a'));
    expect((await views.find(chain, id('a')))?.links).toEqual([{ at: '' }]);
    expect(await views.find({ viewPath: '/projects/other', hidden: [] }, id('a'))).toBeUndefined();
  });

  it('reads the head commits of many repositories at once, by their head ref', async () => {
    const { database } = getDb();
    const { directory } = stores();
    const repos = new RepositoryStore(database.db, database.capabilities);
    const refs = new RefStore(database.db, database.capabilities);
    const zero = '0'.repeat(40);
    const main = await repos.create({ path: '/projects/heads-main', kind: 'hosted' });
    await refs.updateAtomic(main.id, [{ name: 'refs/heads/main', oldId: zero, newId: id('1') }]);
    const trunk = await repos.create({ path: '/projects/heads-trunk', kind: 'hosted' });
    await refs.updateAtomic(trunk.id, [
      { name: 'refs/heads/main', oldId: zero, newId: id('2') },
      { name: 'refs/heads/trunk', oldId: zero, newId: id('3') },
    ]);
    await repos.setHead(trunk.id, 'refs/heads/trunk');
    await repos.create({ path: '/projects/heads-empty', kind: 'hosted' });
    const heads = await directory.headsOf([
      '/projects/heads-main',
      '/projects/heads-trunk',
      '/projects/heads-empty',
      '/projects/heads-missing',
    ]);
    expect(heads).toEqual(
      new Map([
        ['/projects/heads-main', id('1')],
        ['/projects/heads-trunk', id('3')],
      ]),
    );
    expect(await directory.headsOf([])).toEqual(new Map());
  });

  it('keeps a separate chain per hidden set, the unfiltered one under its old key', async () => {
    const { views } = stores();
    const viewPath = '/projects/filtered';
    const step = (hidden: string[], commit: string) => ({
      viewPath,
      hidden,
      commitId: id(commit),
      treeId: id('9'),
      parentId: undefined,
      directoryCommit: id('8'),
      links: [],
    });
    expect(await views.append(step([], 'a'))).toBe(true);
    expect(await views.append(step(['/projects/q', '/projects/p'], 'b'))).toBe(true);
    expect(await views.append(step(['/projects/q'], 'c'))).toBe(true);
    expect((await views.tip({ viewPath, hidden: [] }))?.commitId).toBe(id('a'));
    // The hidden set is a set: its order does not matter.
    const both = await views.tip({ viewPath, hidden: ['/projects/p', '/projects/q'] });
    expect(both?.commitId).toBe(id('b'));
    expect(both?.hidden).toEqual(['/projects/p', '/projects/q']);
    expect(await views.find({ viewPath, hidden: ['/projects/q'] }, id('b'))).toBeUndefined();
    expect((await views.filteredTips(viewPath)).map((tip) => tip.commitId)).toEqual([id('c'), id('b')]);
  });

  it('merge requests: numbers, update of the open one, status compare-and-swap, filters, events', async () => {
    const { mrs } = stores();
    const base = {
      title: 't'.repeat(300),
      viewPath: '/projects/mr-a',
      refName: 'refs/heads/main',
      pushedCommit: id('1'),
      baseViewCommit: id('2'),
      author: 'alice',
      authorId: 1,
      changes: [{ repoPath: '/projects/mr-a', baseCommit: id('3'), headCommit: id('4') }],
    };
    const [one, two] = await Promise.all([
      mrs.create(base),
      mrs.create({ ...base, viewPath: '/projects/mr-b', author: 'bob', authorId: 2 }),
    ]);
    expect(new Set([one, two]).size).toBe(2);
    expect(await mrs.findOpen('/projects/mr-a', 'refs/heads/main', 1)).toBe(one);
    expect(await mrs.findOpen('/projects/mr-a', 'refs/heads/main', 2)).toBeUndefined();
    expect(await mrs.openOf('/projects/mr-a', 1)).toEqual([
      { number: one, refName: 'refs/heads/main', pushedCommit: id('1') },
    ]);
    const event = { action: 'updated', detail: `${id('5')} next` } as const;
    // The compare-and-swap on the pushed head: an update built on another head is refused.
    expect(await mrs.update(one, id('9'), { ...base, pushedCommit: id('5'), event })).toBe(false);
    expect(
      await mrs.update(one, id('1'), {
        ...base,
        event,
        pushedCommit: id('5'),
        changes: [...base.changes, { repoPath: '/projects/mr-c', baseCommit: id('6'), headCommit: id('7') }],
      }),
    ).toBe(true);
    const record = await mrs.get(one);
    expect(record?.title).toHaveLength(255);
    expect(record?.pushedCommit).toBe(id('5'));
    expect(record?.changes.map((change) => change.repoPath)).toEqual(['/projects/mr-a', '/projects/mr-c']);
    expect(await mrs.claimForMerge(one, '2000-01-01T00:00:00.000Z')).toBe(true);
    expect(await mrs.claimForMerge(one, '2000-01-01T00:00:00.000Z')).toBe(false);
    expect(await mrs.claimForMerge(one, '2999-01-01T00:00:00.000Z')).toBe(true); // a stale claim is taken over
    expect(
      await mrs.transition(
        one,
        'merging',
        'merged',
        { action: 'merged', actor: 'bob' },
        new Map([['/projects/mr-a', id('8')]]),
      ),
    ).toBe(true);
    expect(await mrs.update(one, id('5'), { ...base, event })).toBe(false);
    expect((await mrs.get(one))?.changes[0]?.mergedCommit).toBe(id('8'));
    expect((await mrs.events(one)).map((event) => `${event.action}:${event.actor}`)).toEqual([
      'opened:alice',
      'updated:alice',
      'merged:bob',
    ]);
    expect(await mrs.mergedPushes('/projects/mr-a', 10)).toEqual([
      { number: one, pushedCommit: id('5'), baseViewCommit: id('2') },
    ]);
    expect((await mrs.list({ path: '/projects/mr-c', limit: 10, offset: 0 })).map((mr) => mr.number)).toEqual(
      [one],
    );
    expect(
      (await mrs.list({ author: 'bob', status: 'open', limit: 10, offset: 0 })).map((mr) => mr.number),
    ).toEqual([two]);
    expect(await mrs.get(999_999)).toBeUndefined();
  });

  it('indexes directory commits in the seed tables and tracks the latest tree per directory', async () => {
    const { directory } = stores();
    const commit = { gitId: id('9'), tree: id('a'), parents: [], author: 'a', committer: 'c', message: 'm' };
    await directory.recordCommit(commit, [
      { gitId: id('a'), fullPath: '/', name: '', subTrees: [id('b')], size: 10 },
      { gitId: id('b'), fullPath: '/projects', name: 'projects', subTrees: [], size: 5 },
    ]);
    await directory.recordCommit(commit, [
      { gitId: id('a'), fullPath: '/', name: '', subTrees: [], size: 10 },
    ]);
    expect(await directory.hasCommit(id('9'))).toBe(true);
    expect(await directory.directories()).toEqual(new Map([['/', id('a')]]));
  });

  it('links objects one by one and whole repositories, idempotently', async () => {
    const { database } = getDb();
    const { holders } = stores();
    const repos = new RepositoryStore(database.db, database.capabilities);
    const source = await repos.create({ path: '/projects/holder-source', kind: 'hosted' });
    const target = await repos.create({ path: '/', kind: 'directory' });
    const [one, two] = await storage().writeObjects(source.id, [blob('holder 1'), blob('holder 2')]);
    await holders.link(source.id, [one!, two!, two!]);
    await holders.link(target.id, [two!]);
    await holders.linkRepository(target.id, source.id);
    await holders.linkRepository(target.id, source.id);
    const found = await holders.holders([one!, two!, id('3')]);
    expect([...found.keys()].sort()).toEqual([one, two].sort());
    expect([source.id, target.id]).toContain(found.get(two!));
    expect(await holders.repositorySize(424242)).toBe(0);
    const rows = await database.db
      .selectFrom('repository_objects')
      .select('git_id')
      .where('repo_id', '=', target.id)
      .execute();
    expect(rows.map((row) => row.git_id).sort()).toEqual([one, two].sort());
  });

  it('finds the holder among many repositories, and none for objects of a deleted repository', async () => {
    const { database } = getDb();
    const { holders } = stores();
    const repos = new RepositoryStore(database.db, database.capabilities);
    // More repositories than one holder query probes at once.
    const created = [];
    for (let n = 0; n < 130; n++) {
      created.push(await repos.create({ path: `/projects/many-${n}`, kind: 'hosted' }));
    }
    const last = created.at(-1)!;
    const [held] = await storage().writeObjects(last.id, [blob('held by the last one')]);
    const gone = await repos.create({ path: '/projects/deleted-holder', kind: 'hosted' });
    const [orphan] = await storage().writeObjects(gone.id, [blob('held by a deleted one')]);
    await repos.delete(gone.id);
    const found = await holders.holders([held!, orphan!, 'not-an-id']);
    expect(found).toEqual(new Map([[held!, last.id]]));
  });
});
