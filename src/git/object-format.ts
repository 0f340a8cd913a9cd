import { createHash, type Hash } from 'node:crypto';

/**
 * The hash function a repository uses for object names (git's `extensions.objectFormat`).
 * Everything that sizes or computes an object id goes through this, so SHA-256 repositories
 * only need another instance, not another code path (see hash-function-transition.txt).
 */
export interface ObjectFormat {
  /** The name git uses: `sha1` or `sha256`. */
  readonly name: 'sha1' | 'sha256';
  /** Bytes in a binary id (20 or 32). */
  readonly rawLength: number;
  /** Characters in a hex id (40 or 64). */
  readonly hexLength: number;
  /** Hex id of all zeros: "no object" in ref updates. */
  readonly zeroId: string;
  /** Hash of all the given byte ranges, concatenated. */
  hash(...parts: readonly Uint8Array[]): Buffer;
  /** An incremental hasher (for pack trailers and streamed objects). */
  createHasher(): Hash;
}

function makeFormat(name: 'sha1' | 'sha256', rawLength: number): ObjectFormat {
  return {
    name,
    rawLength,
    hexLength: rawLength * 2,
    zeroId: '0'.repeat(rawLength * 2),
    hash(...parts) {
      const hasher = createHash(name);
      for (const part of parts) hasher.update(part);
      return hasher.digest();
    },
    createHasher: () => createHash(name),
  };
}

export const SHA1: ObjectFormat = makeFormat('sha1', 20);
export const SHA256: ObjectFormat = makeFormat('sha256', 32);

/** The format for a name from config or a protocol capability (`object-format=sha256`). */
export function objectFormatByName(name: string): ObjectFormat | undefined {
  if (name === 'sha1') return SHA1;
  if (name === 'sha256') return SHA256;
  return undefined;
}

/** The format an object id belongs to, by its length; undefined for anything else. */
export function objectFormatOfId(id: string): ObjectFormat | undefined {
  if (id.length === SHA1.hexLength) return SHA1;
  if (id.length === SHA256.hexLength) return SHA256;
  return undefined;
}
