import type { DeliveryView, WebhookView } from '../../review/webhooks.js';

/** `mega webhook list`: id, path, URL, events, active or not. */
export function webhookLine(hook: WebhookView): string {
  return [hook.id, hook.path, hook.url, hook.events.join(','), hook.active ? 'active' : 'inactive'].join(
    '\t',
  );
}

/** `mega webhook deliveries`: id, event, status, attempts, the last answer, when created. */
export function deliveryLine(delivery: DeliveryView): string {
  const answer =
    delivery.responseStatus !== undefined
      ? `HTTP ${delivery.responseStatus}`
      : (delivery.error ?? (delivery.status === 'pending' ? 'not sent yet' : '-'));
  const next = delivery.nextAttemptAt ? `\tnext attempt ${delivery.nextAttemptAt}` : '';
  const attempts = `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`;
  return `${delivery.id}\t${delivery.event}\t${delivery.status}\t${attempts}\t${answer}\t${delivery.createdAt}${next}`;
}
