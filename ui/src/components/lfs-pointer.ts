/**
 * A Git LFS pointer shown in place of its file (the same strict reading as the server's
 * `src/web/api/lfs-pointer.ts`: `version` first, keys sorted, sha256 oid, decimal size).
 */
export interface LfsPointer {
  readonly oid: string;
  readonly size: number;
}

export function parseLfsPointer(text: string): LfsPointer | undefined {
  if (text.length > 1024 || !text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  if (!/^version https:\/\/(git-lfs|hawser)\.github\.com\/spec\/v1$/.test(lines[0] ?? '')) return undefined;
  const fields = new Map<string, string>();
  let previous = '';
  for (const line of lines.slice(1)) {
    const match = /^([a-z0-9.-]+) (\S.*)$/.exec(line);
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

/** 1536 → "1.5 KiB": sizes as people read them. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${bytes.toLocaleString('en')} bytes`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
