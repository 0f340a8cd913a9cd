import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintOf, formatPublicKey, parsePublicKey } from './public-key.js';

const dir = mkdtempSync(join(tmpdir(), 'mega-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key pair from the real ssh-keygen; returns the `.pub` line. */
function keygen(name: string, args: readonly string[]): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@test`, '-f', file, ...args]);
  return readFileSync(`${file}.pub`, 'utf8');
}

/** What `ssh-keygen -l -E sha256` prints as the fingerprint of a `.pub` file. */
function opensshFingerprint(name: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, `${name}.pub`)], {
    encoding: 'utf8',
  });
  return out.split(' ')[1] ?? '';
}

/** A blob built field by field (RFC 4251 strings), to make malformed keys. */
function wire(...fields: Buffer[]): Buffer {
  return Buffer.concat(
    fields.flatMap((field) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(field.length);
      return [length, field];
    }),
  );
}
const text = (value: string) => Buffer.from(value, 'latin1');

describe('parsePublicKey: keys from ssh-keygen', () => {
  it.each([
    ['ed25519', ['-t', 'ed25519'], 'ssh-ed25519', 256],
    ['ecdsa256', ['-t', 'ecdsa', '-b', '256'], 'ecdsa-sha2-nistp256', 256],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384'], 'ecdsa-sha2-nistp384', 384],
    ['ecdsa521', ['-t', 'ecdsa', '-b', '521'], 'ecdsa-sha2-nistp521', 521],
    ['rsa2048', ['-t', 'rsa', '-b', '2048'], 'ssh-rsa', 2048],
  ] as const)('accepts %s with OpenSSH’s fingerprint', (name, args, type, bits) => {
    const line = keygen(name, args);
    const key = parsePublicKey(line);
    expect(key).toMatchObject({ type, bits, comment: `${name}@test` });
    expect(key.fingerprint).toBe(opensshFingerprint(name));
    expect(formatPublicKey(key, key.comment)).toBe(line.trim());
  });

  it.each([
    ['dsa', ['-t', 'dsa'], /DSA keys are not accepted/],
    ['rsa1024', ['-t', 'rsa', '-b', '1024'], /at least 2048 bits \(this one has 1024\)/],
  ] as const)('refuses %s', (name, args, message) => {
    expect(() => parsePublicKey(keygen(name, args))).toThrow(message);
  });

  it('refuses a private key with a hint', () => {
    keygen('private', ['-t', 'ed25519']);
    expect(() => parsePublicKey(readFileSync(join(dir, 'private'), 'utf8'))).toThrow(/this is a private key/);
  });
});

describe('parsePublicKey: malformed input', () => {
  const ed = (blob: Buffer) => `ssh-ed25519 ${blob.toString('base64')}`;
  const goodPoint = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);
  it.each([
    ['empty', '', /empty/],
    ['blank', '   \n', /empty/],
    ['unknown type', 'ssh-foo AAAA', /unknown key type/],
    ['options before the type', 'command="sh" ssh-ed25519 AAAA', /unknown key type/],
    ['certificate', 'ssh-ed25519-cert-v01@openssh.com AAAA', /certificates/],
    ['security key', 'sk-ssh-ed25519@openssh.com AAAA', /security-key/],
    ['no data', 'ssh-ed25519', /base64/],
    ['bad base64', 'ssh-ed25519 !!!!', /base64/],
    ['base64 with bad length', 'ssh-ed25519 AAAAB', /base64/],
    ['two lines', 'ssh-ed25519 AAAA\nssh-ed25519 AAAA', /one line/],
    ['NUL', 'ssh-ed25519 AAAA\0', /one line/],
    ['too long', `ssh-rsa ${'A'.repeat(9000)}`, /too long/],
    [
      'comment too long',
      `ssh-ed25519 ${wire(text('ssh-ed25519'), Buffer.alloc(32)).toString('base64')} ${'c'.repeat(300)}`,
      /comment/,
    ],
    ['truncated length', ed(Buffer.from([0, 0])), /truncated/],
    ['length past the end', ed(Buffer.from([0, 0, 0, 200, 1, 2])), /truncated/],
    ['type mismatch', ed(wire(text('ssh-rsa'), Buffer.alloc(32))), /does not match its type/],
    ['short ed25519', ed(wire(text('ssh-ed25519'), Buffer.alloc(31))), /32 bytes/],
    [
      'trailing bytes',
      ed(Buffer.concat([wire(text('ssh-ed25519'), Buffer.alloc(32)), Buffer.from([0])])),
      /trailing/,
    ],
    [
      'ecdsa curve mismatch',
      `ecdsa-sha2-nistp256 ${wire(text('ecdsa-sha2-nistp256'), text('nistp384'), goodPoint).toString('base64')}`,
      /curve/,
    ],
    [
      'ecdsa compressed point',
      `ecdsa-sha2-nistp256 ${wire(text('ecdsa-sha2-nistp256'), text('nistp256'), Buffer.alloc(33, 2)).toString('base64')}`,
      /point/,
    ],
    [
      'rsa even exponent',
      `ssh-rsa ${wire(text('ssh-rsa'), Buffer.from([4]), Buffer.concat([Buffer.from([0]), Buffer.alloc(256, 0xff)])).toString('base64')}`,
      /exponent/,
    ],
    [
      'rsa negative modulus',
      `ssh-rsa ${wire(text('ssh-rsa'), Buffer.from([1, 0, 1]), Buffer.alloc(256, 0xff)).toString('base64')}`,
      /negative/,
    ],
    [
      'rsa with leading zeros hiding a short modulus',
      `ssh-rsa ${wire(text('ssh-rsa'), Buffer.from([1, 0, 1]), Buffer.concat([Buffer.alloc(200), Buffer.alloc(56, 0x7f)])).toString('base64')}`,
      /at least 2048 bits/,
    ],
  ])('%s', (_name, line, message) => {
    expect(() => parsePublicKey(line)).toThrow(message);
  });

  it('every refusal is invalid/ssh_key_invalid', () => {
    try {
      parsePublicKey('ssh-dss AAAA');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid', code: 'ssh_key_invalid' });
    }
  });

  it('fingerprints are unpadded base64 of SHA-256', () => {
    expect(fingerprintOf(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});
