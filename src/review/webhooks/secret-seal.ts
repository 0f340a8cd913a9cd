import type { DeploymentSecret } from '../../platform/deployment-secret.js';
import { SecretBox } from '../../platform/secret-box.js';

/** HKDF label of the key webhook secrets are sealed with; a new label means re-sealing every one. */
export const WEBHOOK_SECRET_KEY_INFO = 'mega webhook secrets v1';

/**
 * Webhook secrets at rest: a `SecretBox` (AES-256-GCM) under a key derived from the deployment
 * secret. The associated data binds a value to its webhook (`webhook:<id>`), so a sealed secret
 * copied onto another row does not open. A database dump alone reveals no secret; every server of
 * the installation (same MEGA_SECRET_KEY) opens them.
 */
export class WebhookSecretSeal {
  readonly #box: SecretBox;

  constructor(secret: DeploymentSecret) {
    this.#box = new SecretBox(secret.derive(WEBHOOK_SECRET_KEY_INFO));
  }

  seal(plaintext: string, webhookId: number): string {
    return this.#box.seal(plaintext, `webhook:${webhookId}`);
  }

  open(sealed: string, webhookId: number): string {
    return this.#box.open(sealed, `webhook:${webhookId}`);
  }
}
