import type { ByteSpan } from '../storage/lfs/lfs-blob-store.js';

/**
 * What a `Range` header asks of an object of `size` bytes (RFC 9110 §14.1.2, single range):
 * - `full`: no header, a header we do not serve as a range (other unit, several ranges, syntax
 *   we do not understand) — RFC 9110 lets a server ignore it and send 200;
 * - `partial`: one satisfiable span → 206 with `Content-Range`;
 * - `unsatisfiable`: a well-formed range outside the content → 416 with `Content-Range: bytes *∕size`.
 */
export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly span: ByteSpan }
  | { readonly kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/i;
/** Longer numbers than this cannot be exact integers; treat them as hostile, not as ranges. */
const MAX_DIGITS = 15;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if ((first === '' && last === '') || first.length > MAX_DIGITS || last.length > MAX_DIGITS) {
    return { kind: 'full' };
  }
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', span: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', span: { start, end } };
}
