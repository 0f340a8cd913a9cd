import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/** Commit statuses CI systems post (`commit_statuses`): the latest state per repository, commit and context. */
export class CommitStatusStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}
}
