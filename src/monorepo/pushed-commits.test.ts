import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { commitsBetween, parseIdent, subjectOf } from './pushed-commits.js';
import { buildViewCommit } from './synthetic-commit.js';
import { memoryObjects, treeOf } from './testing/memory-objects.js';
import type { PendingObjects } from './pending-objects.js';

async function commit(
  objects: PendingObjects,
  message: string,
  parents: readonly ObjectId[],
): Promise<ObjectId> {
  const ident = 'Ann Author <ann@example.com> 1700000123 +0100';
  return objects.put(
    'commit',
    buildViewCommit({
      tree: await treeOf(objects, { 'f.txt': message }),
      parents,
      author: ident,
      committer: ident,
      message,
    }),
  );
}

describe('a push’s new commits', () => {
  it('lists what the head has and the base has not, parents before children', async () => {
    const { objects } = memoryObjects();
    const base = await commit(objects, 'base\n', []);
    const one = await commit(objects, 'one\n\nbody\n', [base]);
    const side = await commit(objects, 'side\n', [base]);
    const two = await commit(objects, 'two\n', [one]);
    const merge = await commit(objects, "Merge branch 'side'\n", [two, side]);
    const listed = await commitsBetween(objects, merge, base);
    expect(listed.truncated).toBe(false);
    expect(listed.commits.map((item) => item.subject)).toEqual(['one', 'two', 'side', "Merge branch 'side'"]);
    expect(listed.commits[0]).toMatchObject({
      id: one,
      parents: [base],
      message: 'one\n\nbody\n',
      author: { name: 'Ann Author', email: 'ann@example.com', time: 1700000123 },
    });
    expect((await commitsBetween(objects, base, base)).commits).toEqual([]);
    expect((await commitsBetween(objects, two, undefined)).commits.map((item) => item.subject)).toEqual([
      'base',
      'one',
      'two',
    ]);
  });

  it('is bounded: the newest commits up to the limit, marked truncated', async () => {
    const { objects } = memoryObjects();
    let head = await commit(objects, 'c0\n', []);
    for (let i = 1; i <= 20; i++) head = await commit(objects, `c${i}\n`, [head]);
    const listed = await commitsBetween(objects, head, undefined, 5);
    expect(listed.truncated).toBe(true);
    expect(listed.commits).toHaveLength(5);
    expect(listed.commits[listed.commits.length - 1]?.subject).toBe('c20');
  });

  it('reads subjects and identities leniently and without control characters', () => {
    expect(subjectOf('\n\n  fix\u0000 it  \nbody')).toBe('fix it');
    expect(subjectOf('')).toBe('');
    expect(parseIdent('No Email')).toEqual({ name: 'No Email', email: '', time: 0 });
    expect(parseIdent('A\u0001 <a@b> 12 +0000')).toEqual({ name: 'A', email: 'a@b', time: 12 });
  });
});
