import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { nowTimestamp } from '../sql-batches.js';
import { inTransaction } from '../transaction.js';

/** A path's own review rule; null fields inherit from the nearest ancestor that sets them. */
export interface StoredReviewRule {
  readonly path: string;
  readonly requiredApprovals: number | null;
  readonly requiredChecks: readonly string[] | null;
  readonly updatedAt: string;
}

/** Per-path review rules (`review_rules`): required approvals and check contexts, inherited downward. */
export class ReviewRuleStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** The rules set on exactly these paths (callers pass a path and its ancestors). */
  async onPaths(paths: readonly string[]): Promise<StoredReviewRule[]> {
    if (paths.length === 0) return [];
    const rows = await this.db
      .selectFrom('review_rules')
      .selectAll()
      .where('path', 'in', [...new Set(paths)])
      .orderBy('path')
      .execute();
    return rows.map(ruleOf);
  }

  /** The rule set on `path` itself, if any. */
  async get(path: string): Promise<StoredReviewRule | undefined> {
    return (await this.onPaths([path]))[0];
  }

  /**
   * Sets the given fields of `path`'s rule (null clears one: it inherits again); a rule with
   * nothing left is removed. Returns what is set on the path now.
   */
  async set(
    path: string,
    change: {
      readonly requiredApprovals?: number | null;
      readonly requiredChecks?: readonly string[] | null;
    },
  ): Promise<StoredReviewRule | undefined> {
    return inTransaction(this.db, async (trx) => {
      const current = (await new ReviewRuleStore(trx, this.capabilities).get(path)) ?? undefined;
      const approvals =
        change.requiredApprovals !== undefined
          ? change.requiredApprovals
          : (current?.requiredApprovals ?? null);
      const checks =
        change.requiredChecks !== undefined ? change.requiredChecks : (current?.requiredChecks ?? null);
      const values = {
        required_approvals: approvals,
        required_checks: checks === null ? null : JSON.stringify(checks),
        updated_at: nowTimestamp(),
      };
      if (approvals === null && checks === null) {
        await trx.deleteFrom('review_rules').where('path', '=', path).execute();
        return undefined;
      }
      if (current) {
        await trx.updateTable('review_rules').set(values).where('path', '=', path).execute();
      } else {
        await trx
          .insertInto('review_rules')
          .values({ path, ...values })
          .execute();
      }
      return { path, requiredApprovals: approvals, requiredChecks: checks, updatedAt: values.updated_at };
    });
  }

  /** Removes `path`'s own rule; false when it had none. */
  async remove(path: string): Promise<boolean> {
    const result = await this.db.deleteFrom('review_rules').where('path', '=', path).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function ruleOf(row: {
  path: string;
  required_approvals: number | null;
  required_checks: string | null;
  updated_at: string;
}): StoredReviewRule {
  return {
    path: row.path,
    requiredApprovals: row.required_approvals === null ? null : Number(row.required_approvals),
    requiredChecks: row.required_checks === null ? null : parseChecks(row.required_checks),
    updatedAt: row.updated_at,
  };
}

/** Stored JSON written by `set`; a hand-edited row that is not a list of strings reads as no checks. */
function parseChecks(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
