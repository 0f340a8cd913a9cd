import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DeploymentSecret } from '../../platform/deployment-secret.js';
import { MegaError } from '../../platform/errors.js';

/** HKDF label of the key webhook secrets are sealed with; a new label means re-sealing every one. */
export const WEBHOOK_SECRET_KEY_INFO = 'mega webhook secrets v1';
const VERSION = 'w1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Webhook secrets at rest: AES-256-GCM under a key derived from the deployment secret, as
 * `w1.<iv>.<tag>.<ciphertext>` (base64url). The associated data binds a value to its webhook
 * (`webhook:<id>`), so a sealed secret copied onto another row does not open. A database dump
 * alone reveals no secret; every server of the installation (same MEGA_SECRET_KEY) opens them.
 */
export class WebhookSecretSeal {
  readonly #key: Buffer;

  constructor(secret: DeploymentSecret) {
    this.#key = secret.derive(WEBHOOK_SECRET_KEY_INFO);
  }

  seal(plaintext: string, webhookId: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(webhookId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
  }

  open(sealed: string, webhookId: number): string {
    const [version, ...parts] = sealed.split('.');
    const [iv, tag, body] = parts.map((part) => Buffer.from(part, 'base64url'));
    if (
      version !== VERSION ||
      parts.length !== 3 ||
      iv?.length !== IV_BYTES ||
      tag?.length !== TAG_BYTES ||
      !body
    ) {
      throw new MegaError('internal', 'secret_malformed', 'stored webhook secret is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(webhookId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new MegaError(
        'internal',
        'secret_undecryptable',
        'stored webhook secret cannot be decrypted (wrong key or tampered)',
      );
    }
  }
}

function associatedData(webhookId: number): Buffer {
  return Buffer.from(`webhook:${webhookId}`, 'utf8');
}
