import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertReturningId } from '../sync/insert-id.js';
import type { WebhookDeliveriesTable, WebhooksTable } from './schema.js';

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

export interface NewWebhook {
  readonly path: string;
  readonly url: string;
  /** Already sealed by the caller; the store never sees the plain secret. */
  readonly secret: string;
  readonly events: readonly string[];
  readonly active: boolean;
  readonly createdBy: string;
  readonly at: string;
}

export interface WebhookChanges {
  readonly url?: string;
  readonly secret?: string;
  readonly events?: readonly string[];
  readonly active?: boolean;
  readonly at: string;
}

export interface NewDelivery {
  readonly webhookId: number;
  readonly deliveryId: string;
  readonly event: string;
  readonly payload: string;
  /** When it is first due (now). */
  readonly at: string;
}

/** What one attempt came to; `nextAttemptAt` set = try again then, else `status` is final. */
export interface AttemptResult {
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly nextAttemptAt: string | null;
  readonly responseStatus: number | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly at: string;
}

/** Webhooks (`webhooks`) and their durable delivery queue and log (`webhook_deliveries`). */
export class WebhookStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async create(hook: NewWebhook): Promise<number> {
    return insertReturningId(
      this.db.insertInto('webhooks').values({
        path: hook.path,
        url: hook.url,
        secret: hook.secret,
        events: hook.events.join(','),
        active: hook.active ? 1 : 0,
        created_by: hook.createdBy,
        created_at: hook.at,
        updated_at: hook.at,
      }),
      this.capabilities,
    );
  }

  async get(id: number): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Every webhook, or those of exactly `path`, in creation order. */
  async list(path?: string): Promise<WebhookRow[]> {
    let query = this.db.selectFrom('webhooks').selectAll();
    if (path !== undefined) query = query.where('path', '=', path);
    return query.orderBy('id').execute();
  }

  /** The active webhooks (few per installation: the caller matches paths and events). */
  async active(): Promise<WebhookRow[]> {
    return this.db.selectFrom('webhooks').selectAll().where('active', '=', 1).orderBy('id').execute();
  }

  async update(id: number, changes: WebhookChanges): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.secret !== undefined ? { secret: changes.secret } : {}),
        ...(changes.events !== undefined ? { events: changes.events.join(',') } : {}),
        ...(changes.active !== undefined ? { active: changes.active ? 1 : 0 } : {}),
        updated_at: changes.at,
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes the webhook and its delivery log. */
  async delete(id: number): Promise<boolean> {
    // Deleted explicitly: SQLite enforces the cascade only with foreign keys switched on.
    await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Queues deliveries (status pending, due at `at`). */
  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((delivery) => ({
          webhook_id: delivery.webhookId,
          delivery_id: delivery.deliveryId,
          event: delivery.event,
          payload: delivery.payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: delivery.at,
          created_at: delivery.at,
        })),
      )
      .execute();
  }

  /**
   * Claims up to `limit` deliveries due at `now` until `claimUntil`: each is taken by a
   * conditional UPDATE that only one server's statement can win, so servers sharing the queue
   * never send one delivery twice. A claim that expired (its server died mid-attempt) is due again.
   */
  async claimDue(now: string, claimUntil: string, limit: number): Promise<WebhookDeliveryRow[]> {
    const candidates = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    const claimed: WebhookDeliveryRow[] = [];
    for (const { id } of candidates) {
      const result = await this.db
        .updateTable('webhook_deliveries')
        .set({ claimed_until: claimUntil })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      const row = await this.delivery(id);
      if (row) claimed.push(row);
    }
    return claimed;
  }

  /**
   * Records one attempt of a delivery claimed until `claimedUntil`; false when the claim was lost
   * (it expired and another server took the delivery), and then nothing is written.
   */
  async recordAttempt(id: number, claimedUntil: string, result: AttemptResult): Promise<boolean> {
    const row = await this.delivery(id);
    if (!row) return false;
    const updated = await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: result.status,
        attempts: row.attempts + 1,
        next_attempt_at: result.nextAttemptAt,
        claimed_until: null,
        response_status: result.responseStatus,
        response_body: result.responseBody,
        error: result.error,
        duration_ms: result.durationMs,
        finished_at: result.status === 'pending' ? null : result.at,
      })
      .where('id', '=', id)
      .where('claimed_until', '=', claimedUntil)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) > 0;
  }

  async delivery(id: number): Promise<WebhookDeliveryRow | undefined> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: number, limit: number, offset: number): Promise<WebhookDeliveryRow[]> {
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
  }
}
