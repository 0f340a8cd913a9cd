import { describe, expect, it } from 'vitest';
import { commitOf, filesOf, memoryObjects } from '../monorepo/testing/memory-objects.js';
import { planRepositoryMerge } from './merge-plan.js';

const ident = 'M <m@example.com> 1700000100 +0000';

describe('repository merge plan', () => {
  it('fast-forwards when the branch has not moved, and is a no-op when already merged', async () => {
    const { objects } = memoryObjects();
    const base = await commitOf(objects, { 'a.txt': '1' });
    const proposed = await commitOf(objects, { 'a.txt': '2' }, [base]);
    expect(
      await planRepositoryMerge(objects, { base, proposed, current: base, message: 'm', ident }),
    ).toEqual({ kind: 'fast-forward', next: proposed });
    expect(
      await planRepositoryMerge(objects, { base, proposed, current: proposed, message: 'm', ident }),
    ).toEqual({ kind: 'up-to-date' });
  });

  it('merges non-overlapping changes three-way into a merge commit', async () => {
    const { objects, reader } = memoryObjects();
    const base = await commitOf(objects, { 'a.txt': '1', 'b.txt': '1' });
    const proposed = await commitOf(objects, { 'a.txt': '2', 'b.txt': '1', 'new/x.txt': 'x' }, [base]);
    const current = await commitOf(objects, { 'a.txt': '1', 'b.txt': '3' }, [base]);
    const plan = await planRepositoryMerge(objects, { base, proposed, current, message: 'Merge\n', ident });
    expect(plan.kind).toBe('merge');
    if (plan.kind !== 'merge') return;
    for (const object of plan.created) objects.put(object.type, object.content);
    const commit = await reader.commit(plan.next);
    expect(commit.parents).toEqual([current, proposed]);
    expect(await filesOf(reader, commit.tree)).toEqual({ 'a.txt': '2', 'b.txt': '3', 'new/x.txt': 'x' });
  });

  it('reports files changed differently on both sides, and file/directory clashes', async () => {
    const { objects } = memoryObjects();
    const base = await commitOf(objects, { 'a.txt': '1', 'd/e.txt': 'e' });
    const proposed = await commitOf(objects, { 'a.txt': '2', 'd/e.txt': 'e' }, [base]);
    const current = await commitOf(objects, { 'a.txt': '3', 'd/e.txt': 'e' }, [base]);
    expect(await planRepositoryMerge(objects, { base, proposed, current, message: 'm', ident })).toEqual({
      kind: 'conflict',
      paths: ['a.txt'],
    });
    const same = await commitOf(objects, { 'a.txt': '2', 'd/e.txt': 'e', 'z.txt': 'z' }, [base]);
    expect(
      (await planRepositoryMerge(objects, { base, proposed, current: same, message: 'm', ident })).kind,
    ).toBe('merge');
    const file = await commitOf(objects, { 'a.txt': '1', d: 'now a file' }, [base]);
    const deeper = await commitOf(objects, { 'a.txt': '1', 'd/e.txt': 'e2' }, [base]);
    expect(
      await planRepositoryMerge(objects, { base, proposed: file, current: deeper, message: 'm', ident }),
    ).toEqual({ kind: 'conflict', paths: ['d', 'd/e.txt'] });
  });

  it('merges edits of different lines of one file (line-level three-way merge)', async () => {
    const { objects, reader } = memoryObjects();
    const lines = (changes: Record<number, string>) =>
      Array.from({ length: 10 }, (_, i) => changes[i + 1] ?? `line ${i + 1}`).join('\n') + '\n';
    const base = await commitOf(objects, { 'README.md': lines({}) });
    const current = await commitOf(objects, { 'README.md': lines({ 3: 'three' }) }, [base]);
    const proposed = await commitOf(objects, { 'README.md': lines({ 8: 'eight' }) }, [base]);
    const plan = await planRepositoryMerge(objects, { base, proposed, current, message: 'm\n', ident });
    expect(plan.kind).toBe('merge');
    if (plan.kind !== 'merge') return;
    for (const object of plan.created) objects.put(object.type, object.content);
    const commit = await reader.commit(plan.next);
    expect(await filesOf(reader, commit.tree)).toEqual({ 'README.md': lines({ 3: 'three', 8: 'eight' }) });
    const clash = await commitOf(objects, { 'README.md': lines({ 3: 'drei' }) }, [base]);
    expect(
      await planRepositoryMerge(objects, { base, proposed: clash, current, message: 'm', ident }),
    ).toEqual({ kind: 'conflict', paths: ['README.md'] });
  });
});
