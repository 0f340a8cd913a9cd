import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/** Webhooks (`webhooks`) and their durable delivery queue and log (`webhook_deliveries`). */
export class WebhookStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}
}
