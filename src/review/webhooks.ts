import { randomUUID } from 'node:crypto';
import { isWithin, parseAccessPath } from '../access/paths.js';
import type { Permissions } from '../access/permissions.js';
import { invalid, MegaError, notFound } from '../platform/errors.js';
import type { WebhookDeliveryRow, WebhookRow } from '../storage/review/webhook-store.js';
import type { ReviewDeps } from './review-deps.js';
import type { ReviewEvent } from './review-events.js';
import { WebhookDeliverer, type DelivererOptions } from './webhooks/deliverer.js';
import { messagesOf, type WebhookMessage } from './webhooks/payloads.js';
import { WebhookSecretSeal } from './webhooks/secret-seal.js';
import { checkEvents, checkSecret, checkTargetUrl, type WebhookEventName } from './webhooks/webhook-input.js';

export { WEBHOOK_EVENTS, type WebhookEventName } from './webhooks/webhook-input.js';
export type { DelivererOptions } from './webhooks/deliverer.js';

/** Longest path a webhook may watch (the column's size). */
const MAX_WEBHOOK_PATH_LENGTH = 512;

/** A webhook as shown: never its secret. */
export interface WebhookView {
  readonly id: number;
  readonly path: string;
  readonly url: string;
  readonly events: WebhookEventName[];
  readonly active: boolean;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DeliveryView {
  readonly id: number;
  readonly webhookId: number;
  readonly deliveryId: string;
  readonly event: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt?: string;
  readonly responseStatus?: number;
  readonly durationMs?: number;
  readonly error?: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
}

export interface DeliveryDetail extends DeliveryView {
  readonly payload: unknown;
  readonly responseBody?: string;
}

export interface NewWebhookInput {
  readonly path: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly string[];
  readonly active?: boolean;
}

export interface WebhookChangesInput {
  readonly url?: string;
  readonly secret?: string;
  readonly events?: readonly string[];
  readonly active?: boolean;
}

/** Who manages webhooks: `admin` on the webhook's path. */
export interface WebhookActor {
  readonly username: string;
  readonly authority: Permissions;
}

/**
 * Webhooks for push and merge request events: subscriptions per path, HMAC-SHA256 signed
 * deliveries from a durable queue with retries and backoff, and the delivery log.
 *
 * Every review event is turned into messages (`webhooks/payloads.ts`) and ENQUEUED, one row per
 * matching active webhook, in the database: a restart loses nothing, and whichever server is
 * running delivers it (`startDeliverer`, run by `buildApp`).
 */
export class Webhooks {
  private readonly seal: WebhookSecretSeal | undefined;
  private deliverer: WebhookDeliverer | undefined;

  constructor(private readonly deps: ReviewDeps) {
    this.seal = deps.secret ? new WebhookSecretSeal(deps.secret) : undefined;
    deps.events.subscribe(async (event) => {
      await this.enqueue(event);
    });
  }

  private get store() {
    return this.deps.storage.review.webhooks;
  }

  async create(input: NewWebhookInput, actor: WebhookActor): Promise<WebhookView> {
    const path = webhookPath(input.path);
    actor.authority.require(path, 'admin', 'managing webhooks');
    const url = checkTargetUrl(input.url, 'webhook_url_invalid');
    const secret = checkSecret(input.secret);
    const events = checkEvents(input.events);
    const seal = this.requireSeal();
    const at = new Date().toISOString();
    // Sealed bound to the row's id, so the row exists first; both in one transaction.
    const id = await this.deps.storage.transaction(async (scope) => {
      const created = await scope.review.webhooks.create({
        path,
        url,
        secret: '',
        events,
        active: input.active ?? true,
        createdBy: actor.username,
        at,
      });
      await scope.review.webhooks.update(created, { secret: seal.seal(secret, created), at });
      return created;
    });
    const hook = await this.requireRow(id);
    // Like GitHub: a first `ping` tells the receiver (and the log) that the hook works.
    await this.enqueueFor(hook, {
      event: 'ping',
      paths: [path],
      payload: { zen: 'Changes merge, atomically.', hook: viewOf(hook) },
    });
    return viewOf(hook);
  }

  /** The webhooks the caller administers (on `path` exactly when given). */
  async list(authority: Permissions, path?: string): Promise<WebhookView[]> {
    const rows = await this.store.list(path === undefined ? undefined : webhookPath(path));
    return rows.filter((row) => authority.has(row.path, 'admin')).map(viewOf);
  }

  async get(id: number, authority: Permissions): Promise<WebhookView> {
    return viewOf(await this.managed(id, authority));
  }

  async update(id: number, changes: WebhookChangesInput, authority: Permissions): Promise<WebhookView> {
    await this.managed(id, authority);
    const at = new Date().toISOString();
    await this.store.update(id, {
      ...(changes.url !== undefined ? { url: checkTargetUrl(changes.url, 'webhook_url_invalid') } : {}),
      ...(changes.secret !== undefined
        ? { secret: this.requireSeal().seal(checkSecret(changes.secret), id) }
        : {}),
      ...(changes.events !== undefined ? { events: checkEvents(changes.events) } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
      at,
    });
    return viewOf(await this.requireRow(id));
  }

  async delete(id: number, authority: Permissions): Promise<void> {
    await this.managed(id, authority);
    await this.store.delete(id);
  }

  async deliveries(
    id: number,
    authority: Permissions,
    page: { limit: number; offset: number },
  ): Promise<DeliveryView[]> {
    await this.managed(id, authority);
    return (await this.store.deliveries(id, page.limit, page.offset)).map(deliveryViewOf);
  }

  async delivery(id: number, deliveryId: number, authority: Permissions): Promise<DeliveryDetail> {
    await this.managed(id, authority);
    return deliveryDetailOf(await this.requireDelivery(id, deliveryId));
  }

  /** Sends a delivery's payload again, as a new delivery (the old one stays in the log). */
  async redeliver(id: number, deliveryId: number, authority: Permissions): Promise<DeliveryDetail> {
    await this.managed(id, authority);
    const original = await this.requireDelivery(id, deliveryId);
    const copy = randomUUID();
    await this.store.enqueue([
      {
        webhookId: id,
        deliveryId: copy,
        event: original.event,
        payload: original.payload,
        at: new Date().toISOString(),
      },
    ]);
    this.deliverer?.wake();
    const rows = await this.store.deliveries(id, 20, 0);
    const row = rows.find((candidate) => candidate.delivery_id === copy);
    if (!row) throw notFound('webhook_delivery_not_found', 'the redelivery was not recorded');
    return deliveryDetailOf(row);
  }

  /**
   * Queues a delivery of `event` for every active webhook whose path contains one of the event's
   * paths and that subscribed to its kind. Subscribed to the review events at construction.
   */
  async enqueue(event: ReviewEvent): Promise<number> {
    const messages = await messagesOf(event, {
      baseUrl: this.deps.baseUrl(),
      mergeRequest: (number) => this.deps.storage.monorepo.mergeRequests.get(number),
      status: async (repoPath, commit, context) => {
        const rows = await this.deps.storage.review.statuses.latest(repoPath, commit);
        const row = rows.find((candidate) => candidate.context === context);
        return {
          ...(row?.target_url ? { targetUrl: row.target_url } : {}),
          ...(row?.description ? { description: row.description } : {}),
        };
      },
    });
    if (messages.length === 0) return 0;
    const hooks = await this.store.active();
    let queued = 0;
    for (const message of messages) {
      for (const hook of hooks) {
        if (!hook.events.split(',').includes(message.event)) continue;
        if (!message.paths.some((path) => isWithin(path, hook.path))) continue;
        await this.enqueueFor(hook, message);
        queued++;
      }
    }
    return queued;
  }

  /**
   * Starts this process's deliverer (one per server; `buildApp` stops it on close). It needs the
   * deployment secret to open the webhooks' secrets.
   */
  startDeliverer(
    options: Partial<DelivererOptions> = {},
    onError?: (error: unknown) => void,
  ): WebhookDeliverer {
    const seal = this.requireSeal();
    const deliverer = new WebhookDeliverer(
      {
        store: this.store,
        target: async (webhookId) => {
          const hook = await this.store.get(webhookId);
          return hook && { url: hook.url, secret: seal.open(hook.secret, hook.id) };
        },
        ...(onError ? { onError } : {}),
      },
      options,
    );
    this.deliverer = deliverer;
    deliverer.start();
    return deliverer;
  }

  private async enqueueFor(
    hook: WebhookRow,
    message: Pick<WebhookMessage, 'payload' | 'paths'> & { event: string },
  ): Promise<void> {
    const deliveryId = randomUUID();
    const payload = JSON.stringify({
      ...message.payload,
      hookId: hook.id,
    });
    await this.store.enqueue([
      { webhookId: hook.id, deliveryId, event: message.event, payload, at: new Date().toISOString() },
    ]);
    this.deliverer?.wake();
  }

  /** A webhook the caller administers; others read as missing. */
  private async managed(id: number, authority: Permissions): Promise<WebhookRow> {
    const row = await this.store.get(id);
    if (!row || !authority.has(row.path, 'admin')) throw notFound('webhook_not_found', `no webhook ${id}`);
    return row;
  }

  private async requireRow(id: number): Promise<WebhookRow> {
    const row = await this.store.get(id);
    if (!row) throw notFound('webhook_not_found', `no webhook ${id}`);
    return row;
  }

  private async requireDelivery(id: number, deliveryId: number): Promise<WebhookDeliveryRow> {
    const row = await this.store.delivery(deliveryId);
    if (!row || Number(row.webhook_id) !== id)
      throw notFound('webhook_delivery_not_found', `no delivery ${deliveryId} of webhook ${id}`);
    return row;
  }

  private requireSeal(): WebhookSecretSeal {
    if (!this.seal) {
      throw new MegaError(
        'unavailable',
        'webhook_secrets_unavailable',
        'webhooks need the deployment secret: manage them through the server',
      );
    }
    return this.seal;
  }
}

function webhookPath(input: string): string {
  const path = parseAccessPath(input);
  if (path.length > MAX_WEBHOOK_PATH_LENGTH)
    throw invalid('access_path_invalid', 'path is too long', { limit: MAX_WEBHOOK_PATH_LENGTH });
  return path;
}

function viewOf(row: WebhookRow): WebhookView {
  return {
    id: Number(row.id),
    path: row.path,
    url: row.url,
    events: row.events.split(',').filter(Boolean) as WebhookEventName[],
    active: Number(row.active) === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function deliveryViewOf(row: WebhookDeliveryRow): DeliveryView {
  return {
    id: Number(row.id),
    webhookId: Number(row.webhook_id),
    deliveryId: row.delivery_id,
    event: row.event,
    status: row.status as DeliveryView['status'],
    attempts: Number(row.attempts),
    ...(row.next_attempt_at !== null && row.status === 'pending'
      ? { nextAttemptAt: row.next_attempt_at }
      : {}),
    ...(row.response_status !== null ? { responseStatus: Number(row.response_status) } : {}),
    ...(row.duration_ms !== null ? { durationMs: Number(row.duration_ms) } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    createdAt: row.created_at,
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
  };
}

function deliveryDetailOf(row: WebhookDeliveryRow): DeliveryDetail {
  return {
    ...deliveryViewOf(row),
    payload: JSON.parse(row.payload) as unknown,
    ...(row.response_body !== null ? { responseBody: row.response_body } : {}),
  };
}
