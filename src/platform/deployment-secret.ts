import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from './errors.js';

/**
 * The one secret of a deployment. Every key the processes need is derived from it with HKDF
 * (SHA-256, a distinct `info` label per use), so servers and workers that share it agree on all
 * of them, and a leaked derived key reveals neither the secret nor its siblings.
 *
 * Sources, first found wins: `MEGA_SECRET_KEY`, the file `MEGA_SECRET_KEY_FILE`, else
 * `<dataDir>/secret.key`, generated on first use (mode 0600) for a single-node install. All hold
 * 32 bytes as 64 hex digits or base64 — the format the generated file has always had.
 */
export const SECRET_KEY_FILE = 'secret.key';
const KEY_BYTES = 32;
const FINGERPRINT_INFO = 'mega installation fingerprint v1';

export type SecretSource = 'MEGA_SECRET_KEY' | 'MEGA_SECRET_KEY_FILE' | 'data directory';

export class DeploymentSecret {
  readonly #master: Buffer;

  constructor(
    master: Buffer,
    /** Where it came from, for messages (never the value). */
    readonly source: SecretSource,
  ) {
    if (master.length !== KEY_BYTES) throw invalid('secret_key_invalid', 'the secret key must be 32 bytes');
    this.#master = Buffer.from(master);
  }

  /** A 32-byte key for one purpose; `info` names the purpose and its version. */
  derive(info: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), info, KEY_BYTES));
  }

  /**
   * What the database keeps to tell whether two processes share the secret: a hash of a derived
   * value that no key uses, so it reveals nothing about any key.
   */
  fingerprint(): string {
    return createHash('sha256').update(this.derive(FINGERPRINT_INFO)).digest('hex').slice(0, 32);
  }

  /**
   * The secret itself, which versions before key derivation used directly as the AES key of
   * sync credentials: only for opening values sealed then (`SecretBox`).
   */
  legacyCredentialKey(): Buffer {
    return Buffer.from(this.#master);
  }
}

/** Parses a key as 64 hex digits or base64 of 32 bytes; `source` names it in the error. */
export function parseSecretKey(text: string, source: SecretSource = 'MEGA_SECRET_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES)
    throw invalid('secret_key_invalid', `${source} must be 32 bytes as hex or base64`);
  return key;
}

export interface SecretOptions {
  readonly secretKey?: string;
  readonly secretKeyFile?: string;
  readonly dataDir: string;
  /** Told the path of a generated key file, never the key. */
  readonly onGenerated?: (path: string) => void;
}

export function loadDeploymentSecret(options: SecretOptions): DeploymentSecret {
  if (options.secretKey) return new DeploymentSecret(parseSecretKey(options.secretKey), 'MEGA_SECRET_KEY');
  if (options.secretKeyFile) {
    const source = 'MEGA_SECRET_KEY_FILE';
    return new DeploymentSecret(parseSecretKey(readKeyFile(options.secretKeyFile), source), source);
  }
  const path = join(options.dataDir, SECRET_KEY_FILE);
  try {
    return new DeploymentSecret(
      parseSecretKey(readFileSync(path, 'utf8'), 'data directory'),
      'data directory',
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDir, { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    options.onGenerated?.(path);
  } catch (error) {
    // Another process of the same data directory created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new DeploymentSecret(parseSecretKey(readFileSync(path, 'utf8'), 'data directory'), 'data directory');
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw invalid('secret_key_file_unreadable', `MEGA_SECRET_KEY_FILE ${path} cannot be read (${code})`);
  }
}
