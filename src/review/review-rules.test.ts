import { describe, expect, it } from 'vitest';
import type { ReviewRuleStore, StoredReviewRule } from '../storage/review/review-rule-store.js';
import { effectiveRule, pathAndAncestors, requirementOf, validateRuleChange } from './review-rules.js';

const rule = (
  path: string,
  requiredApprovals: number | null,
  requiredChecks: string[] | null,
): StoredReviewRule => ({
  path,
  requiredApprovals,
  requiredChecks,
  updatedAt: '',
});

const RULES = [
  rule('/', 0, ['lint']),
  rule('/projects', 1, null),
  rule('/projects/team', null, ['build', 'test']),
  rule('/projects/team/app', 3, null),
  rule('/projects/teamx', 5, []),
];

describe('review rules', () => {
  it('walks a path and its ancestors, nearest first', () => {
    expect(pathAndAncestors('/projects/a/b')).toEqual(['/projects/a/b', '/projects/a', '/projects', '/']);
    expect(pathAndAncestors('/')).toEqual(['/']);
  });

  it('inherits each field from the nearest path that sets it', () => {
    expect(effectiveRule('/projects/team/app', RULES)).toEqual({
      path: '/projects/team/app',
      requiredApprovals: 3,
      approvalsFrom: '/projects/team/app',
      requiredChecks: ['build', 'test'],
      checksFrom: '/projects/team',
    });
    expect(effectiveRule('/projects/team/lib', RULES)).toMatchObject({
      requiredApprovals: 1,
      approvalsFrom: '/projects',
    });
    // `/projects/teamx` is not under `/projects/team`; an empty list is set (no checks), not inherited.
    expect(effectiveRule('/projects/teamx/a', RULES)).toMatchObject({
      requiredApprovals: 5,
      requiredChecks: [],
    });
    expect(effectiveRule('/import/x', RULES)).toMatchObject({
      requiredApprovals: 0,
      requiredChecks: ['lint'],
    });
    expect(effectiveRule('/import/x', [])).toEqual({
      path: '/import/x',
      requiredApprovals: 0,
      approvalsFrom: undefined,
      requiredChecks: [],
      checksFrom: undefined,
    });
  });

  it('a multi-repository request needs the max of approvals and each repository its checks', async () => {
    const store = {
      onPaths: async (paths: readonly string[]) => RULES.filter((r) => paths.includes(r.path)),
    };
    const requirement = await requirementOf(store as unknown as ReviewRuleStore, [
      '/projects/team/app',
      '/projects/other',
    ]);
    expect(requirement.requiredApprovals).toBe(3);
    expect([...requirement.checks]).toEqual([
      ['/projects/team/app', ['build', 'test']],
      ['/projects/other', ['lint']],
    ]);
    expect((await requirementOf(store as unknown as ReviewRuleStore, [])).requiredApprovals).toBe(0);
  });

  it('validates changes: whole numbers in range, printable distinct contexts', () => {
    expect(validateRuleChange({ requiredApprovals: 2, requiredChecks: ['b', 'a', 'b'] })).toEqual({
      requiredApprovals: 2,
      requiredChecks: ['a', 'b'],
    });
    expect(validateRuleChange({ requiredApprovals: null, requiredChecks: null })).toEqual({
      requiredApprovals: null,
      requiredChecks: null,
    });
    expect(validateRuleChange({})).toEqual({});
    for (const bad of [
      { requiredApprovals: -1 },
      { requiredApprovals: 0.5 },
      { requiredApprovals: 101 },
      { requiredApprovals: Number.NaN },
      { requiredChecks: [''] },
      { requiredChecks: ['   '] },
      { requiredChecks: ['x'.repeat(129)] },
      { requiredChecks: ['a\nb'] },
      { requiredChecks: Array.from({ length: 51 }, (_, i) => `c${i}`) },
    ]) {
      expect(() => validateRuleChange(bad)).toThrow(/required|check context/);
    }
  });
});
