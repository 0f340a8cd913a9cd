import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/** Discussions on merge requests (`mr_comments`): threads on the request and on diff lines. */
export class CommentStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}
}
