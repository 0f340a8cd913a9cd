import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DeploymentSecret } from './deployment-secret.js';
import { MegaError, invalid } from './errors.js';

/**
 * AES-256-GCM for secrets at rest (sync credentials, webhook secrets). A sealed value is `v2.<iv>.<tag>.<ciphertext>` (base64url
 * parts): a fresh 96-bit IV per value (NIST SP 800-38D), the 128-bit tag authenticates it, and
 * the associated data binds it to its owner (`credential:<id>`-style) so a ciphertext copied onto
 * another row does not decrypt.
 *
 * `v2` values are sealed with a key derived from the deployment secret (`CREDENTIAL_KEY_INFO`);
 * `v1` values, from before key derivation, were sealed with the secret itself. Those still open
 * (with the legacy key), and `CredentialVault.resealLegacy` rewrites them as `v2` at start.
 */
const VERSION = 'v2';
export const LEGACY_VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** HKDF label of the credential key; a new label (and version) would mean re-sealing every value. */
export const CREDENTIAL_KEY_INFO = 'mega sync credentials v2';

export class SecretBox {
  private readonly key: Buffer;
  private readonly legacyKey: Buffer | undefined;

  constructor(key: Buffer, legacyKey?: Buffer) {
    for (const k of [key, legacyKey])
      if (k && k.length !== KEY_BYTES) throw invalid('secret_key_invalid', 'the secret key must be 32 bytes');
    this.key = Buffer.from(key);
    this.legacyKey = legacyKey && Buffer.from(legacyKey);
  }

  /** The box of a deployment: its derived credential key, and the secret itself for `v1` values. */
  static of(secret: DeploymentSecret): SecretBox {
    return new SecretBox(secret.derive(CREDENTIAL_KEY_INFO), secret.legacyCredentialKey());
  }

  /** How values sealed before key derivation begin: they are sealed again at start. */
  static readonly legacyPrefix = `${LEGACY_VERSION}.`;

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, associatedData: string): string {
    const parts = sealed.split('.');
    const [version, iv, tag, body] = parts.map((part, i) =>
      i === 0 ? Buffer.from(part) : Buffer.from(part, 'base64url'),
    );
    const key = this.keyOf(version?.toString());
    if (parts.length !== 4 || !key || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !body) {
      throw new MegaError('internal', 'secret_malformed', 'stored secret is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // GCM says only "unable to authenticate": wrong key, tampered data or another row's secret.
      throw new MegaError(
        'internal',
        'secret_undecryptable',
        'stored secret cannot be decrypted (wrong key or tampered)',
      );
    }
  }

  /** The key a value of `version` was sealed with; none for an unknown version. */
  private keyOf(version: string | undefined): Buffer | undefined {
    if (version === VERSION) return this.key;
    return version === LEGACY_VERSION ? this.legacyKey : undefined;
  }
}
