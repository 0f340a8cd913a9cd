import { randomBytes } from 'node:crypto';
import { invalid } from '../platform/errors.js';

/**
 * Webhook secrets are sealed with the sync credentials' key (`SecretBox.of`), bound to their link
 * by the associated data, so a sealed value copied onto another link does not open.
 */
export function webhookSecretData(linkId: number): string {
  return `github_links:${linkId}`;
}

/** A new random secret (what `mega github link` prints once when none is given). */
export function generateWebhookSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** A given secret: printable, 16–256 characters (GitHub's form accepts any text). */
export function checkWebhookSecret(secret: string): string {
  if (secret.length < 16 || secret.length > 256 || !/^[\x21-\x7e]+$/.test(secret)) {
    throw invalid(
      'github_webhook_secret_missing',
      'the webhook secret must be 16–256 printable ASCII characters',
    );
  }
  return secret;
}
