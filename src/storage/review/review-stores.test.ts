import { expect, it } from 'vitest';
import { parseObjectId } from '../../git/object-id.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { ApprovalStore } from './approval-store.js';
import { ReviewRuleStore } from './review-rule-store.js';

const id = (c: string) => parseObjectId(c.repeat(40));

describeEachDialect('review approval and rule stores', (getDb) => {
  const stores = () => {
    const { database } = getDb();
    return {
      approvals: new ApprovalStore(database.db, database.capabilities),
      rules: new ReviewRuleStore(database.db, database.capabilities),
    };
  };

  it('keeps one approval per user, moved to the newest commit approved', async () => {
    const { approvals } = stores();
    expect(await approvals.list(1)).toEqual([]);
    await approvals.approve(1, { userId: 7, username: 'bob', commit: id('a') });
    await approvals.approve(1, { userId: 7, username: 'bob', commit: id('a') });
    await approvals.approve(1, { userId: 8, username: 'carol', commit: id('a') });
    await approvals.approve(2, { userId: 7, username: 'bob', commit: id('c') });
    await approvals.approve(1, { userId: 7, username: 'bob', commit: id('b') });
    const listed = await approvals.list(1);
    expect(listed.map((a) => [a.username, a.commit])).toEqual(
      expect.arrayContaining([
        ['bob', id('b')],
        ['carol', id('a')],
      ]),
    );
    expect(listed).toHaveLength(2);
    expect(await approvals.unapprove(1, 7)).toBe(true);
    expect(await approvals.unapprove(1, 7)).toBe(false);
    expect((await approvals.list(1)).map((a) => a.username)).toEqual(['carol']);
    expect((await approvals.list(2)).map((a) => a.username)).toEqual(['bob']);
  });

  it('races of one user approving end as one row', async () => {
    const { approvals } = stores();
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((c) => approvals.approve(3, { userId: 9, username: 'dan', commit: id(c) })),
    );
    expect(await approvals.list(3)).toHaveLength(1);
  });

  it('sets, merges, clears and removes per-path rules', async () => {
    const { rules } = stores();
    const long = `/projects/${'x'.repeat(400)}`;
    expect(await rules.get('/projects')).toBeUndefined();
    await rules.set('/projects', { requiredApprovals: 2 });
    await rules.set('/projects', { requiredChecks: ['ci/build', 'lint ✓'] });
    await rules.set(long, { requiredApprovals: 0 });
    expect(await rules.get('/projects')).toMatchObject({
      requiredApprovals: 2,
      requiredChecks: ['ci/build', 'lint ✓'],
    });
    expect((await rules.onPaths(['/', '/projects', long, '/nothing'])).map((r) => r.path)).toEqual([
      '/projects',
      long,
    ]);
    await rules.set('/projects', { requiredApprovals: null });
    expect(await rules.get('/projects')).toMatchObject({ requiredApprovals: null });
    expect(await rules.set('/projects', { requiredChecks: null })).toBeUndefined();
    expect(await rules.get('/projects')).toBeUndefined();
    expect(await rules.remove(long)).toBe(true);
    expect(await rules.remove(long)).toBe(false);
    expect(await rules.onPaths([])).toEqual([]);
  });
});
