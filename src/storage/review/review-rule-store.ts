import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/** Per-path review rules (`review_rules`): required approvals and check contexts, inherited downward. */
export class ReviewRuleStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}
}
