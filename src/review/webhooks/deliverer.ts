import type { WebhookDeliveryRow, WebhookStore } from '../../storage/review/webhook-store.js';
import { AllowedHosts, DEFAULT_ALLOWED_HOSTS } from './allowed-hosts.js';
import { ForbiddenDestination, postWebhook } from './outbound-post.js';
import { signBody } from './signature.js';

/** How the deliverer sends and retries; every field has a production default. */
export interface DelivererOptions {
  /** Waits before the 2nd, 3rd, … attempt; after the last one fails the delivery is `failed`. */
  readonly backoffMs: readonly number[];
  /** One attempt's limit, connection to last byte read. */
  readonly timeoutMs: number;
  /** Deliveries sent at once by this server. */
  readonly concurrency: number;
  /** How often the queue is polled for due deliveries (other servers' events, retries). */
  readonly pollMs: number;
  /** Bytes of a response body kept in the log. */
  readonly maxResponseBytes: number;
  /** `User-Agent` of every delivery. */
  readonly userAgent: string;
  /** Which addresses deliveries may go to (`allowed-hosts.ts`; public ones by default). */
  readonly allowedHosts: AllowedHosts;
}

export const DEFAULT_DELIVERER_OPTIONS: DelivererOptions = {
  backoffMs: [10_000, 60_000, 300_000, 1_800_000, 7_200_000],
  timeoutMs: 10_000,
  concurrency: 4,
  pollMs: 2_000,
  maxResponseBytes: 4096,
  userAgent: 'Mega-Hookshot/1',
  allowedHosts: new AllowedHosts(DEFAULT_ALLOWED_HOSTS),
};

/** What the deliverer needs of a webhook at send time. */
export interface DeliveryTarget {
  readonly url: string;
  readonly secret: string;
}

export interface DelivererDeps {
  readonly store: WebhookStore;
  /** The target of a delivery's webhook (URL and opened secret); undefined when it was deleted. */
  readonly target: (webhookId: number) => Promise<DeliveryTarget | undefined>;
  readonly onError?: (error: unknown) => void;
}

/**
 * Sends due deliveries from the durable queue (`webhook_deliveries`). Every server runs one;
 * rows are claimed atomically with a lease (`claimed_until`) longer than an attempt, so two
 * servers never send one delivery twice and a server that dies mid-attempt only delays it.
 * A 2xx answer is delivered; anything else (a redirect too: they are not followed), a timeout or a
 * network error is retried after the next backoff step, and after the last one it is `failed`.
 */
export class WebhookDeliverer {
  private readonly options: DelivererOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly deps: DelivererDeps,
    options: Partial<DelivererOptions> = {},
  ) {
    this.options = { ...DEFAULT_DELIVERER_OPTIONS, ...options };
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Waits for the attempts under way; nothing new is claimed after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Looks at the queue now (called after this server enqueues, so deliveries leave at once). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.deps.onError?.(error))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.timer = setTimeout(() => this.wake(), this.nextPollMs());
          this.timer.unref();
        }
      });
  }

  /** Sends every due delivery, `concurrency` at a time, until none is due. */
  async drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = Date.now();
      const lease = this.options.timeoutMs * 3 + 30_000;
      const claim = new Date(now + lease).toISOString();
      const batch = await this.deps.store.claimDue(
        new Date(now).toISOString(),
        claim,
        this.options.concurrency,
      );
      if (batch.length === 0) break;
      await Promise.all(batch.map((row) => this.attempt(row, claim)));
      sent += batch.length;
      // Stopping finishes the batch under way and claims nothing more.
      if (this.stopped && this.running !== undefined) break;
    }
    return sent;
  }

  /** The next poll: soon after a short backoff step (tests), else the polling interval. */
  private nextPollMs(): number {
    const shortest = this.options.backoffMs.reduce(
      (least, step) => Math.min(least, step),
      this.options.pollMs,
    );
    return Math.max(10, shortest);
  }

  private async attempt(row: WebhookDeliveryRow, claim: string): Promise<void> {
    const started = Date.now();
    let responseStatus: number | null = null;
    let responseBody: string | null = null;
    let error: string | null = null;
    const target = await this.deps.target(row.webhook_id).catch((failure: unknown) => {
      error = failure instanceof Error ? failure.message : String(failure);
      return undefined;
    });
    if (target) {
      try {
        const response = await postWebhook({
          url: target.url,
          timeoutMs: this.options.timeoutMs,
          maxResponseBytes: this.options.maxResponseBytes,
          allowedHosts: this.options.allowedHosts,
          headers: {
            'content-type': 'application/json',
            'user-agent': this.options.userAgent,
            'x-mega-event': row.event,
            'x-mega-delivery': row.delivery_id,
            'x-mega-signature-256': signBody(target.secret, row.payload),
          },
          body: row.payload,
        });
        responseStatus = response.status;
        responseBody = response.body;
      } catch (failure) {
        error = describeFailure(failure);
      }
    } else if (error === null) {
      error = 'the webhook no longer exists';
    }
    const ok = responseStatus !== null && responseStatus >= 200 && responseStatus < 300;
    const attempts = row.attempts + 1;
    const wait = this.options.backoffMs[attempts - 1];
    const finishedAt = Date.now();
    await this.deps.store.recordAttempt(row.id, claim, {
      status: ok ? 'delivered' : wait === undefined || !target ? 'failed' : 'pending',
      nextAttemptAt: ok || wait === undefined || !target ? null : new Date(finishedAt + wait).toISOString(),
      responseStatus,
      responseBody,
      error: ok ? null : (error ?? `HTTP ${responseStatus}`),
      durationMs: finishedAt - started,
      at: new Date(finishedAt).toISOString(),
    });
  }
}

function describeFailure(failure: unknown): string {
  if (failure instanceof ForbiddenDestination) return failure.message;
  if (failure instanceof Error) {
    const cause = (failure as { cause?: unknown }).cause;
    if (failure.name === 'TimeoutError' || (cause instanceof Error && cause.name === 'TimeoutError'))
      return 'timed out';
    const code = (failure as { code?: unknown }).code;
    return typeof code === 'string' ? code : failure.message;
  }
  return String(failure);
}
