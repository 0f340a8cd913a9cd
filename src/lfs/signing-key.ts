import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MegaError } from '../platform/errors.js';

const KEY_BYTES = 32;
const HKDF_INFO = 'mega lfs transfer token v1';

/**
 * The key that signs transfer tokens. With a configured secret (`MEGA_SECRET_KEY`, shared by
 * every server instance) it is derived from it, so tokens from one instance work on all; without
 * one, a random key is kept in a file readable only by the server's user.
 */
export async function loadTransferSigningKey(options: {
  secretKey?: string;
  keyFile: string;
}): Promise<Buffer> {
  if (options.secretKey) {
    return Buffer.from(hkdfSync('sha256', options.secretKey, Buffer.alloc(0), HKDF_INFO, KEY_BYTES));
  }
  try {
    const stored = await readFile(options.keyFile);
    if (stored.length !== KEY_BYTES) {
      throw new MegaError(
        'internal',
        'lfs_signing_key_corrupt',
        'LFS signing key file has the wrong length',
        {
          file: options.keyFile,
        },
      );
    }
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(KEY_BYTES);
  await mkdir(dirname(options.keyFile), { recursive: true });
  try {
    await writeFile(options.keyFile, key, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs so both sign alike.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(options.keyFile);
  }
}
