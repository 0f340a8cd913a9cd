import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MegaError, invalid } from '../platform/errors.js';

/**
 * AES-256-GCM for credentials at rest. A sealed value is `v1.<iv>.<tag>.<ciphertext>` (base64url
 * parts): a fresh 96-bit IV per value (NIST SP 800-38D), the 128-bit tag authenticates it, and
 * the associated data binds it to its owner (`credential:<id>`-style) so a ciphertext copied onto
 * another row does not decrypt.
 */
const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_FILE = 'secret.key';

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw invalid('secret_key_invalid', 'the secret key must be 32 bytes');
    this.key = Buffer.from(key);
  }

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
    if (
      parts.length !== 4 ||
      version?.toString() !== VERSION ||
      iv?.length !== IV_BYTES ||
      tag?.length !== TAG_BYTES ||
      !body
    ) {
      throw new MegaError('internal', 'secret_malformed', 'stored secret is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
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
}

/** Parses MEGA_SECRET_KEY: 64 hex digits or base64 of 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES)
    throw invalid('secret_key_invalid', 'MEGA_SECRET_KEY must be 32 bytes as hex or base64');
  return key;
}

/**
 * The configured key, or for the embedded default `<dataDir>/secret.key` (created with mode 0600
 * on first use; `onGenerated` is told the path, never the key).
 */
export function loadSecretKey(options: {
  secretKey?: string;
  dataDir: string;
  onGenerated?: (path: string) => void;
}): Buffer {
  if (options.secretKey) return parseSecretKey(options.secretKey);
  const path = join(options.dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) return parseSecretKey(readFileSync(path, 'utf8'));
  mkdirSync(options.dataDir, { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    options.onGenerated?.(path);
  } catch (error) {
    // Another process of the same data directory created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseSecretKey(readFileSync(path, 'utf8'));
}
