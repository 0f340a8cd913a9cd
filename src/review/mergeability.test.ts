import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { commitOf, memoryObjects } from '../monorepo/testing/memory-objects.js';
import type { Mergeability, MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { MergeabilityChecker } from './mergeability.js';
import type { ReviewDeps } from './review-deps.js';
import { ReviewEvents } from './review-events.js';

const lines = (changes: Record<number, string>): string =>
  Array.from({ length: 10 }, (_, i) => `${changes[i + 1] ?? `line ${i + 1}`}\n`).join('');

/** A checker over in-memory objects, one repository `/r` whose head the test moves, one request. */
async function fixture() {
  const { objects } = memoryObjects();
  const base = await commitOf(objects, { 'README.md': lines({}) });
  const proposed = await commitOf(objects, { 'README.md': lines({ 8: 'eight' }) }, [base]);
  let head: ObjectId = base;
  const stored: Mergeability[] = [];
  const record: MergeRequestRecord = {
    number: 1,
    title: 't',
    description: '',
    targetBranch: undefined,
    mergeability: { state: 'unknown', conflicts: [], targets: {} },
    status: 'open',
    viewPath: '/r',
    refName: 'refs/heads/main',
    pushedCommit: proposed,
    baseViewCommit: base,
    author: 'alice',
    authorId: 1,
    createdAt: '',
    updatedAt: '',
    changes: [{ repoPath: '/r', baseCommit: base, headCommit: proposed }],
  };
  const events = new ReviewEvents((error) => {
    throw error;
  });
  const deps = {
    events,
    baseUrl: () => '',
    storage: {
      monorepo: {
        mergeRequests: {
          get: async () => record,
          list: async (query: { path?: string; offset: number }) =>
            query.path === '/r' && query.offset === 0 ? [record] : [],
          setMergeability: async (_: number, value: Mergeability) => void stored.push(value),
        },
      },
    },
    monorepo: {
      repositories: {
        find: async (path: string) => (path === '/r' ? { id: 1, headRef: 'refs/heads/main' } : undefined),
      },
      refs: { get: async () => head },
      objects: { source: objects },
    },
  } as unknown as ReviewDeps;
  const checker = new MergeabilityChecker(deps);
  checker.subscribe();
  const move = async (files: Record<string, string>) => {
    head = await commitOf(objects, files, [base]);
    return head;
  };
  return { checker, events, record, stored, move, base };
}

describe('mergeability', () => {
  it('is computed when a request is opened, and again when a push moves its target', async () => {
    const { events, stored, move, base } = await fixture();
    events.emit({ type: 'merge_request', action: 'opened', number: 1, actor: 'alice', paths: ['/r'] });
    await events.settled();
    expect(stored.at(-1)).toMatchObject({ state: 'clean', conflicts: [], targets: { '/r': base } });

    const clean = await move({ 'README.md': lines({ 3: 'three' }) });
    events.emit({
      type: 'push',
      repoPath: '/r',
      actor: 'bob',
      refs: [{ name: 'refs/heads/main', before: base, after: clean }],
    });
    await events.settled();
    expect(stored.at(-1)).toMatchObject({ state: 'clean', targets: { '/r': clean } });

    const clash = await move({ 'README.md': lines({ 8: 'acht' }) });
    events.emit({
      type: 'push',
      repoPath: '/r',
      actor: 'bob',
      refs: [{ name: 'refs/heads/main', before: clean, after: clash }],
    });
    events.emit({ type: 'push', repoPath: '/other', actor: 'bob', refs: [] });
    await events.settled();
    expect(stored).toHaveLength(3);
    expect(stored.at(-1)).toMatchObject({
      state: 'conflict',
      conflicts: [{ repository: '/r', path: 'README.md' }],
      targets: { '/r': clash },
    });
  });

  it('tells a verdict computed against other heads from a current one', async () => {
    const { checker, record, move } = await fixture();
    const computed = await checker.compute(record);
    expect(await checker.isCurrent({ ...record, mergeability: computed })).toBe(true);
    expect(await checker.isCurrent(record)).toBe(false);
    await move({ 'README.md': lines({ 1: 'one' }) });
    expect(await checker.isCurrent({ ...record, mergeability: computed })).toBe(false);
  });

  it('is unknown when a touched repository is gone', async () => {
    const { checker, record } = await fixture();
    const gone = { ...record, changes: [{ ...record.changes[0]!, repoPath: '/gone' }] };
    expect((await checker.compute(gone)).state).toBe('unknown');
  });
});
