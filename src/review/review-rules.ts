import { parentOf } from '../access/paths.js';
import { invalid } from '../platform/errors.js';
import type { ReviewRuleStore, StoredReviewRule } from '../storage/review/review-rule-store.js';
import { largestOf } from '../platform/append-all.js';

/** Most approvals a rule may require (a typo of 1000 would block every merge for good). */
export const MAX_REQUIRED_APPROVALS = 100;
/** Most check contexts one rule may require, and the longest context (the column's width). */
export const MAX_REQUIRED_CHECKS = 50;
export const MAX_CHECK_CONTEXT_LENGTH = 128;

/** A path's rule after inheritance, and where each value came from (undefined: the default). */
export interface EffectiveReviewRule {
  readonly path: string;
  readonly requiredApprovals: number;
  readonly approvalsFrom: string | undefined;
  readonly requiredChecks: readonly string[];
  readonly checksFrom: string | undefined;
}

/** What a merge request touching several repositories needs: the strictest of their rules. */
export interface ReviewRequirement {
  /** The maximum over the touched repositories. */
  readonly requiredApprovals: number;
  /** Each touched repository's required contexts (the union, kept per repository). */
  readonly checks: ReadonlyMap<string, readonly string[]>;
  readonly rules: readonly EffectiveReviewRule[];
}

/** `path` and its ancestors up to `/`, nearest first. */
export function pathAndAncestors(path: string): string[] {
  const out: string[] = [];
  for (let at: string | undefined = path; at !== undefined; at = parentOf(at)) out.push(at);
  return out;
}

/**
 * The rule in force at `path`: each field from the nearest path at or above it that sets it
 * (null inherits), like the path settings of src/access. Defaults: no approvals, no checks.
 */
export function effectiveRule(path: string, rules: readonly StoredReviewRule[]): EffectiveReviewRule {
  const byPath = new Map(rules.map((rule) => [rule.path, rule]));
  let approvals: StoredReviewRule | undefined;
  let checks: StoredReviewRule | undefined;
  for (const at of pathAndAncestors(path)) {
    const rule = byPath.get(at);
    if (!rule) continue;
    if (!approvals && rule.requiredApprovals !== null) approvals = rule;
    if (!checks && rule.requiredChecks !== null) checks = rule;
  }
  return {
    path,
    requiredApprovals: approvals?.requiredApprovals ?? 0,
    approvalsFrom: approvals?.path,
    requiredChecks: checks?.requiredChecks ?? [],
    checksFrom: checks?.path,
  };
}

/** The requirement of a merge request touching `repoPaths`: max of approvals, checks per repository. */
export async function requirementOf(
  store: ReviewRuleStore,
  repoPaths: readonly string[],
): Promise<ReviewRequirement> {
  const rules = await store.onPaths(repoPaths.flatMap(pathAndAncestors));
  const effective = repoPaths.map((path) => effectiveRule(path, rules));
  return {
    requiredApprovals: Math.max(
      0,
      largestOf(
        effective.map((rule) => rule.requiredApprovals),
        0,
      ),
    ),
    checks: new Map(effective.map((rule) => [rule.path, rule.requiredChecks])),
    rules: effective,
  };
}

/** Checks a rule change given over REST: whole numbers in range, distinct sane contexts. */
export function validateRuleChange(change: {
  readonly requiredApprovals?: number | null;
  readonly requiredChecks?: readonly string[] | null;
}): { requiredApprovals?: number | null; requiredChecks?: string[] | null } {
  const out: { requiredApprovals?: number | null; requiredChecks?: string[] | null } = {};
  const approvals = change.requiredApprovals;
  if (approvals !== undefined) {
    if (
      approvals !== null &&
      (!Number.isInteger(approvals) || approvals < 0 || approvals > MAX_REQUIRED_APPROVALS)
    ) {
      throw invalid(
        'review_rule_invalid',
        `requiredApprovals must be a whole number from 0 to ${MAX_REQUIRED_APPROVALS}`,
      );
    }
    out.requiredApprovals = approvals;
  }
  const checks = change.requiredChecks;
  if (checks !== undefined) {
    if (checks !== null) {
      if (checks.length > MAX_REQUIRED_CHECKS) {
        throw invalid('review_rule_invalid', `at most ${MAX_REQUIRED_CHECKS} required checks`);
      }
      for (const context of checks) {
        if (
          context.trim() === '' ||
          context.length > MAX_CHECK_CONTEXT_LENGTH ||
          /[\u0000-\u001f\u007f]/.test(context)
        ) {
          throw invalid('review_rule_invalid', 'a check context is 1-128 printable characters', {
            context: context.slice(0, MAX_CHECK_CONTEXT_LENGTH),
          });
        }
      }
      out.requiredChecks = [...new Set(checks)].sort();
    } else out.requiredChecks = null;
  }
  return out;
}
