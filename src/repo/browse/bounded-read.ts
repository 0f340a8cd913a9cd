/**
 * Reading objects for display without holding them whole: at most a prefix of the content is
 * kept, and the iteration over the pieces is stopped once the prefix is full (which stops the
 * inflating underneath: a deflate bomb of 1 GiB of zeros costs the prefix, not a gigabyte).
 */

/** Default most bytes of one object read for display (`limits.maxDisplayBytes`). */
export const DEFAULT_DISPLAY_LIMIT = 5 * 1024 * 1024;

export interface BoundedContent {
  /** The first `min(size, limit)` bytes. */
  readonly content: Buffer;
  /** The object's real size (from its stored header). */
  readonly size: number;
  /** True when `content` is only a prefix of the object. */
  readonly truncated: boolean;
}

/**
 * The first `limit` bytes of `pieces` (a stream of an object's content). Leaves the loop as soon
 * as it has them, which ends the stream; only `limit` bytes plus one piece are ever held.
 */
export async function readPrefix(pieces: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const kept: Buffer[] = [];
  let length = 0;
  if (limit <= 0) {
    await pieces[Symbol.asyncIterator]().return?.();
    return Buffer.alloc(0);
  }
  for await (const piece of pieces) {
    const room = limit - length;
    kept.push(piece.length > room ? piece.subarray(0, room) : piece);
    length += Math.min(piece.length, room);
    if (length >= limit) break;
  }
  return kept.length === 1 ? Buffer.from(kept[0] as Buffer) : Buffer.concat(kept, length);
}

/**
 * The longest prefix of `text` bytes that does not end inside a UTF-8 sequence, so a truncated
 * file shows no replacement character at its end.
 */
export function utf8Boundary(bytes: Buffer): Buffer {
  let end = bytes.length;
  // Step back over at most three continuation bytes to the lead byte of the last sequence.
  let lead = end - 1;
  while (lead >= 0 && end - lead <= 4 && ((bytes[lead] as number) & 0xc0) === 0x80) lead--;
  if (lead < 0) return bytes;
  const byte = bytes[lead] as number;
  const expected = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  if (end - lead < expected) end = lead;
  return bytes.subarray(0, end);
}
