import { createHash } from 'node:crypto';
import { invalid } from '../platform/errors.js';

/**
 * Public keys as users paste them: one OpenSSH line `type base64 [comment]` (the format of
 * `~/.ssh/id_ed25519.pub`, sshd(8) "AUTHORIZED_KEYS FILE FORMAT" without options). The key blob
 * is the wire encoding of RFC 4253 §6.6 (RSA), RFC 5656 §3.1 (ECDSA) and RFC 8709 §4 (Ed25519);
 * it is parsed field by field so that a blob whose inner type differs from the line's, that is
 * truncated or that carries trailing bytes is refused, not stored.
 */
export type PublicKeyType =
  'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521' | 'ssh-rsa';

export interface PublicKey {
  readonly type: PublicKeyType;
  /** The wire-format key blob (what a client presents when it authenticates). */
  readonly blob: Buffer;
  /** Key size in bits: 256 for Ed25519, the curve's for ECDSA, the modulus's for RSA. */
  readonly bits: number;
  /** OpenSSH's `SHA256:` fingerprint (`ssh-keygen -l -E sha256`): base64 without padding. */
  readonly fingerprint: string;
  /** The line's comment (usually `user@host`), trimmed; empty when absent. */
  readonly comment: string;
}

/** RSA moduli below this are refused (NIST SP 800-131A; GitHub and GitLab refuse them too). */
export const MIN_RSA_BITS = 2048;
/** Larger RSA keys cost the server seconds per verification: a key this big is a denial of service. */
export const MAX_RSA_BITS = 16384;
/** A pasted line longer than this is not a public key (a 16384-bit RSA line is ~2.8 KB). */
export const MAX_PUBLIC_KEY_LINE = 8192;
const MAX_COMMENT_LENGTH = 255;

/** ECDSA curves: the identifier inside the blob and the size of an uncompressed point (SEC 1 §2.3.3). */
const CURVES: Readonly<
  Record<string, { readonly curve: string; readonly bits: number; readonly point: number }>
> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', bits: 256, point: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', bits: 384, point: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', bits: 521, point: 133 },
};

/** Types people paste that we name in the refusal, so the fix is obvious. */
const REFUSED_TYPES: Readonly<Record<string, string>> = {
  'ssh-dss': 'DSA keys are not accepted (insecure, and removed from OpenSSH): use ssh-keygen -t ed25519',
  'sk-ssh-ed25519@openssh.com': 'security-key (FIDO) keys are not supported yet: use an ed25519 key',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'security-key (FIDO) keys are not supported yet: use an ed25519 key',
};

const refuse = (message: string, details?: Record<string, unknown>) =>
  invalid('ssh_key_invalid', message, details);

/** OpenSSH's fingerprint of a key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Parses one public key line. Refuses (`invalid`/`ssh_key_invalid`, with a message meant for the
 * person who pasted it): private keys, options before the type, DSA, RSA under 2048 bits,
 * certificates, unknown types, bad base64, blobs that do not match their type.
 */
export function parsePublicKey(text: string): PublicKey {
  if (text.length > MAX_PUBLIC_KEY_LINE) throw refuse('the key is too long to be a public key');
  const line = text.trim();
  if (line === '') throw refuse('the key is empty');
  if (line.includes('PRIVATE KEY')) {
    throw refuse('this is a private key: paste the public key (the .pub file) instead');
  }
  if (/[\r\n\0]/.test(line)) throw refuse('a public key is one line');
  const [type = '', encoded = '', ...rest] = line.split(/[ \t]+/);
  const comment = rest.join(' ');
  if (comment.length > MAX_COMMENT_LENGTH) throw refuse('the key comment is too long');
  const refusal = REFUSED_TYPES[type];
  if (refusal) throw refuse(refusal, { type });
  if (type.endsWith('-cert-v01@openssh.com'))
    throw refuse('certificates are not accepted: add the plain key');
  if (!isPublicKeyType(type)) {
    throw refuse('unknown key type: expected ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa', {
      type: type.slice(0, 64),
    });
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw refuse('the key data is not valid base64');
  }
  const blob = Buffer.from(encoded, 'base64');
  const bits = checkBlob(type, blob);
  return { type, blob, bits, fingerprint: fingerprintOf(blob), comment };
}

/** The key as one line again (`type base64 comment`), as `ssh-keygen` writes it. */
export function formatPublicKey(key: Pick<PublicKey, 'type' | 'blob'>, comment = ''): string {
  return `${key.type} ${key.blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

function isPublicKeyType(type: string): type is PublicKeyType {
  return type === 'ssh-ed25519' || type === 'ssh-rsa' || type in CURVES;
}

/** Checks the blob's fields against its type; returns the key size in bits. */
function checkBlob(type: PublicKeyType, blob: Buffer): number {
  const reader = new WireReader(blob);
  const inner = reader.string().toString('latin1');
  if (inner !== type) throw refuse('the key data does not match its type', { type });
  let bits: number;
  if (type === 'ssh-ed25519') {
    if (reader.string().length !== 32) throw refuse('an ed25519 key is 32 bytes');
    bits = 256;
  } else if (type === 'ssh-rsa') {
    const exponent = stripSign(reader.string());
    const modulus = stripSign(reader.string());
    bits = bitLength(modulus);
    if (exponent.length === 0 || (exponent[exponent.length - 1]! & 1) === 0 || bitLength(exponent) < 2) {
      throw refuse('the RSA key has an invalid exponent');
    }
    if (bits < MIN_RSA_BITS) {
      throw refuse(
        `RSA keys need at least ${MIN_RSA_BITS} bits (this one has ${bits}): use ssh-keygen -t ed25519`,
        {
          bits,
        },
      );
    }
    if (bits > MAX_RSA_BITS) throw refuse(`RSA keys may have at most ${MAX_RSA_BITS} bits`, { bits });
  } else {
    const curve = CURVES[type]!;
    if (reader.string().toString('latin1') !== curve.curve)
      throw refuse('the ECDSA curve does not match the key type');
    const point = reader.string();
    if (point.length !== curve.point || point[0] !== 0x04) throw refuse('the ECDSA point is malformed');
    bits = curve.bits;
  }
  if (!reader.atEnd()) throw refuse('the key data has trailing bytes');
  return bits;
}

/** An mpint's magnitude without its sign byte (RFC 4251 §5: a leading 0 when the top bit is set). */
function stripSign(mpint: Buffer): Buffer {
  if (mpint.length > 0 && (mpint[0]! & 0x80) !== 0) throw refuse('the RSA key has a negative number');
  let start = 0;
  while (start < mpint.length && mpint[start] === 0) start++;
  return mpint.subarray(start);
}

function bitLength(magnitude: Buffer): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

/** RFC 4251 §5 `string`s read one after another, every length checked against what is left. */
class WireReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  string(): Buffer {
    if (this.offset + 4 > this.data.length) throw refuse('the key data is truncated');
    const length = this.data.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (length > this.data.length - start) throw refuse('the key data is truncated');
    this.offset = start + length;
    return this.data.subarray(start, this.offset);
  }

  atEnd(): boolean {
    return this.offset === this.data.length;
  }
}
