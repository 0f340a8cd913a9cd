import { parseAccessPath } from '../../access/paths.js';
import type { EffectiveReviewRule } from '../../review/review-rules.js';
import type { StoredReviewRule } from '../../storage/review/review-rule-store.js';
import type { DomainServices } from '../app.js';

interface ReviewOptions {
  approvals?: string;
  checks?: string;
  json?: boolean;
}

/** A path's review rule as REST shows it (`GET /api/v1/review-rules`): own values and effective. */
export interface ReviewRuleView {
  readonly path: string;
  readonly requiredApprovals: number | null;
  readonly requiredChecks: string[] | null;
  readonly effective: {
    readonly requiredApprovals: number;
    readonly approvalsFrom?: string;
    readonly requiredChecks: string[];
    readonly checksFrom?: string;
  };
}

/**
 * `--approvals`: `inherit`, or a number handed to the service as is so that its validation (and
 * its message) decides. Only plain numerals are numbers: `Number('')` is 0 and `Number('0x10')`
 * 16, which nobody typing them meant.
 */
export function approvalsOption(text: string): number | null {
  if (text === 'inherit') return null;
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
}

/** `--checks`: `inherit`, or comma-separated contexts (`''`: none, overriding inherited ones). */
export function checksOption(text: string): string[] | null {
  if (text === 'inherit') return null;
  return text
    .split(',')
    .map((context) => context.trim())
    .filter((context) => context !== '');
}

export function ruleView(own: StoredReviewRule | undefined, effective: EffectiveReviewRule): ReviewRuleView {
  return {
    path: effective.path,
    requiredApprovals: own?.requiredApprovals ?? null,
    requiredChecks: own?.requiredChecks ? [...own.requiredChecks] : null,
    effective: {
      requiredApprovals: effective.requiredApprovals,
      ...(effective.approvalsFrom !== undefined ? { approvalsFrom: effective.approvalsFrom } : {}),
      requiredChecks: [...effective.requiredChecks],
      ...(effective.checksFrom !== undefined ? { checksFrom: effective.checksFrom } : {}),
    },
  };
}

/** Where an effective value comes from, said for a reader. */
function source(path: string, from: string | undefined): string {
  if (from === undefined) return 'default: set nowhere at or above';
  return from === path ? `set on ${path}` : `inherited from ${from}`;
}

/** The readable lines of `mega access review`. */
export function ruleLines(view: ReviewRuleView): string[] {
  const { path, effective } = view;
  const checks = effective.requiredChecks.length > 0 ? effective.requiredChecks.join(', ') : 'none';
  return [
    `review rule of ${path}`,
    `  required approvals: ${effective.requiredApprovals} (${source(path, effective.approvalsFrom)})`,
    `  required checks: ${checks} (${source(path, effective.checksFrom)})`,
  ];
}

/**
 * `mega access review <path> [--approvals N|inherit] [--checks a,b|inherit] [--json]`: sets what
 * is given of a path's review rule (the service validates it), then prints the rule in force
 * there and where each value comes from. Without options it only shows.
 */
export async function reviewCommand(
  services: DomainServices,
  pathInput: string,
  options: ReviewOptions,
): Promise<string[]> {
  const path = parseAccessPath(pathInput);
  const approvals = services.review.approvals;
  const before = await approvals.ruleAt(path);
  // An unknown path or one inside a repository is refused, even only to show its rule.
  if (before.own === undefined) await approvals.requireRulePath(path);
  const change = {
    ...(options.approvals !== undefined ? { requiredApprovals: approvalsOption(options.approvals) } : {}),
    ...(options.checks !== undefined ? { requiredChecks: checksOption(options.checks) } : {}),
  };
  if (Object.keys(change).length > 0) await approvals.setRule(path, change);
  const now = Object.keys(change).length > 0 ? await approvals.ruleAt(path) : before;
  const view = ruleView(now.own, now.effective);
  return options.json ? [JSON.stringify(view, null, 2)] : ruleLines(view);
}
