import { invalid } from '../../platform/errors.js';

/** What a webhook may subscribe to (`ping` is sent once on creation, whatever the list). */
export const WEBHOOK_EVENTS = ['push', 'merge_request', 'comment', 'approval', 'status'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export const MAX_TARGET_URL_LENGTH = 2048;
export const MIN_SECRET_LENGTH = 8;
export const MAX_SECRET_LENGTH = 256;

/**
 * A target URL: absolute http(s), at most 2048 characters, no credentials (they would be stored
 * and shown in clear; the secret is how a receiver authenticates us), no fragment.
 */
export function checkTargetUrl(
  value: string,
  code: 'webhook_url_invalid' | 'status_target_url_invalid',
): string {
  if (value.length > MAX_TARGET_URL_LENGTH)
    throw invalid(code, `the URL is longer than ${MAX_TARGET_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(code, 'the URL is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(code, 'the URL must be http or https', { protocol: url.protocol });
  if (url.username !== '' || url.password !== '')
    throw invalid(code, 'the URL must not carry credentials', { reason: 'credentials' });
  return value;
}

/** A webhook secret: printable text of 8 to 256 characters (it is sealed, never shown again). */
export function checkSecret(value: string): string {
  if (value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH || !/^[\x20-\x7e]+$/.test(value)) {
    throw invalid(
      'webhook_secret_invalid',
      `the secret must be ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} printable ASCII characters`,
    );
  }
  return value;
}

/** The subscribed events: known names, at least one, each once (sorted, as stored). */
export function checkEvents(values: readonly string[]): WebhookEventName[] {
  const unknown = values.filter((value) => !(WEBHOOK_EVENTS as readonly string[]).includes(value));
  if (unknown.length > 0 || values.length === 0) {
    throw invalid('webhook_events_invalid', `events must be some of ${WEBHOOK_EVENTS.join(', ')}`, {
      unknown: unknown.slice(0, 10),
    });
  }
  return [...new Set(values as WebhookEventName[])].sort();
}
