/**
 * Git LFS pointer files (git-lfs docs/spec.md): what git stores in place of a tracked file.
 * Recognised strictly — `version` first, then `key value` lines sorted by key, an `oid sha256:`
 * of 64 lowercase hex digits and a `size` — so an ordinary file that merely mentions LFS is
 * never mistaken for one.
 */
export interface LfsPointer {
  readonly oid: string;
  readonly size: number;
}

/** git-lfs never writes a pointer bigger than this; anything larger is content. */
export const MAX_POINTER_BYTES = 1024;

const VERSIONS = new Set(['https://git-lfs.github.com/spec/v1', 'https://hawser.github.com/spec/v1']);

/** → the pointer's oid and size, or undefined when `bytes` is not a pointer. */
export function parseLfsPointer(bytes: Buffer): LfsPointer | undefined {
  if (bytes.length > MAX_POINTER_BYTES) return undefined;
  const text = bytes.toString('utf8');
  if (!text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  const [first, ...rest] = lines.map((line) => /^([a-z0-9.-]+) (\S.*)$/.exec(line));
  if (!first || first[1] !== 'version' || !VERSIONS.has(first[2] ?? '')) return undefined;
  const fields = new Map<string, string>();
  let previous = '';
  for (const match of rest) {
    const key = match?.[1];
    if (!match || key === undefined || key <= previous) return undefined;
    fields.set(key, match[2] ?? '');
    previous = key;
  }
  const oid = /^sha256:([0-9a-f]{64})$/.exec(fields.get('oid') ?? '')?.[1];
  const size = fields.get('size') ?? '';
  if (!oid || !/^(0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return undefined;
  return { oid, size: Number(size) };
}
