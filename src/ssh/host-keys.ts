import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import type { DeploymentSecret } from '../platform/deployment-secret.js';
import { MegaError } from '../platform/errors.js';
import { SecretBox } from '../platform/secret-box.js';
import { fingerprintOf } from './public-key.js';

/**
 * The server's host keys. Every server of an installation must present the same keys, or clients
 * would see a changed host key (and refuse, rightly) depending on which server answered. So no
 * key lives only in one data directory:
 * - **Ed25519** is derived from the deployment secret (HKDF, its own label): an Ed25519 private key
 *   is 32 random bytes, which a derived key is. Nothing is stored; every process computes it.
 * - **RSA** (for clients without Ed25519) cannot be derived cheaply, so the first server generates
 *   one (3072 bits) and stores it in the database sealed with a key derived from the secret
 *   (AES-256-GCM); every later server reads that one.
 */
export interface HostKey {
  readonly algorithm: 'ssh-ed25519' | 'ssh-rsa';
  /** OpenSSH private key file contents, as `ssh2.Server` takes them. */
  readonly privateKey: string;
  readonly fingerprint: string;
}

/** What host keys need of storage: `SshKeyStore.claimHostKey`. */
export interface HostKeyStore {
  claimHostKey(algorithm: string, proposed: () => string): Promise<string>;
}

const ED25519_INFO = 'mega ssh host key ed25519 v1';
const SEAL_INFO = 'mega ssh host keys v1';
const RSA_BITS = 3072;
/** PKCS #8 prefix of an Ed25519 private key (RFC 8410 §7): the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export async function loadHostKeys(secret: DeploymentSecret, store: HostKeyStore): Promise<HostKey[]> {
  const box = new SecretBox(secret.derive(SEAL_INFO));
  const sealedRsa = await store.claimHostKey('ssh-rsa', () =>
    box.seal(ssh2.utils.generateKeyPairSync('rsa', { bits: RSA_BITS }).private, 'ssh-host-key:ssh-rsa'),
  );
  const rsa = box.open(sealedRsa, 'ssh-host-key:ssh-rsa');
  return [describe('ssh-ed25519', derivedEd25519(secret)), describe('ssh-rsa', rsa)];
}

function describe(algorithm: HostKey['algorithm'], privateKey: string): HostKey {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new MegaError(
      'internal',
      'ssh_host_key_invalid',
      `the stored ${algorithm} host key cannot be read`,
    );
  }
  return { algorithm, privateKey, fingerprint: fingerprintOf(parsed.getPublicSSH()) };
}

/** The Ed25519 host key of this deployment secret, as an OpenSSH private key file. */
export function derivedEd25519(secret: DeploymentSecret): string {
  const seed = secret.derive(ED25519_INFO);
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(spki.length - 32);
  return encodeOpenSshEd25519(seed, publicKey);
}

/**
 * OpenSSH's private key format (PROTOCOL.key in OpenSSH): `openssh-key-v1\0`, no cipher, one key;
 * the private section is the check integers, the key and its comment, padded to 8 bytes.
 */
function encodeOpenSshEd25519(seed: Buffer, publicKey: Buffer): string {
  const type = Buffer.from('ssh-ed25519');
  const publicBlob = strings(type, publicKey);
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    strings(type, publicKey, Buffer.concat([seed, publicKey]), Buffer.from('mega host key')),
  ]);
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    strings(Buffer.from('none'), Buffer.from('none'), Buffer.alloc(0)),
    count,
    strings(publicBlob, section),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** RFC 4251 `string`s, concatenated. */
function strings(...values: Buffer[]): Buffer {
  return Buffer.concat(
    values.flatMap((value) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(value.length);
      return [length, value];
    }),
  );
}
