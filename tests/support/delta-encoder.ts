/**
 * Delta search in the spirit of git's diff-delta.c: the source is cut into 16-byte blocks kept in
 * a hash table; a rolling hash over the target finds candidate blocks, each candidate is extended
 * forward (and backward into pending literals), the longest match becomes a copy. Output is the
 * delta format that `applyDelta` and git read.
 */
const BLOCK = 16;
/** Candidates examined per hash bucket (git's HASH_LIMIT spirit: bound work on repetitive data). */
const MAX_CANDIDATES = 64;
/** A match this long is good enough; stop looking at other candidates (as diff-delta.c does). */
const GOOD_ENOUGH_MATCH = 4096;
const MAX_COPY = 0xffffff;
const MAX_INSERT = 0x7f;
const PRIME = 0x01000193;
/** PRIME^(BLOCK-1) mod 2^32, to drop the outgoing byte from the rolling hash. */
const PRIME_POW = (() => {
  let value = 1;
  for (let i = 0; i < BLOCK - 1; i++) value = Math.imul(value, PRIME);
  return value;
})();

function blockHash(data: Uint8Array, pos: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, PRIME) + data[pos + i]!) | 0;
  return h;
}

function bucketOf(hash: number, mask: number): number {
  return (hash ^ (hash >>> 15)) & mask;
}

/** Bytes compared one by one before switching to native comparisons of growing spans. */
const BYTEWISE_PREFIX = 128;
const SMALLEST_SPAN = 16;
const LARGEST_SPAN = 1 << 16;

/**
 * Length of the common prefix of `source[s..]` and `target[t..]`, at most `max`. Long matches are
 * the common case (edited files), so after a short byte loop it gallops with native `compare`.
 */
function matchLength(source: Buffer, s: number, target: Buffer, t: number, max: number): number {
  let length = 0;
  const prefix = Math.min(max, BYTEWISE_PREFIX);
  while (length < prefix && source[s + length] === target[t + length]) length++;
  if (length < prefix) return length;
  let span = 2 * BYTEWISE_PREFIX;
  while (length < max) {
    const n = Math.min(span, max - length);
    if (source.compare(target, t + length, t + length + n, s + length, s + length + n) === 0) {
      length += n;
      if (span < LARGEST_SPAN) span *= 2;
    } else if (n <= SMALLEST_SPAN) {
      while (source[s + length] === target[t + length]) length++;
      return length;
    } else {
      span = Math.max(SMALLEST_SPAN, n >>> 2);
    }
  }
  return length;
}

/** A block index over a delta source; build once, diff many targets against it. */
export class DeltaIndex {
  readonly source: Buffer;
  readonly heads: Int32Array;
  readonly next: Int32Array;
  /** Full hash of each block, to skip bucket neighbours without comparing bytes. */
  readonly hashes: Int32Array;
  readonly mask: number;

  /** One allocation holding heads, next and hashes; pass an old index's `store` to reuse it. */
  readonly store: Int32Array;

  constructor(source: Buffer, reusable?: Int32Array) {
    this.source = source;
    const blocks = Math.max(0, Math.floor(source.length / BLOCK));
    let size = 16;
    while (size < blocks) size *= 2;
    this.mask = size - 1;
    const needed = size + 2 * blocks;
    this.store = reusable && reusable.length >= needed ? reusable : new Int32Array(needed);
    this.heads = this.store.subarray(0, size).fill(-1);
    this.next = this.store.subarray(size, size + blocks);
    this.hashes = this.store.subarray(size + blocks, needed);
    // Insert from the end so each chain starts with the earliest occurrence.
    for (let b = blocks - 1; b >= 0; b--) {
      const hash = blockHash(source, b * BLOCK);
      this.hashes[b] = hash;
      const bucket = bucketOf(hash, this.mask);
      this.next[b] = this.heads[bucket]!;
      this.heads[bucket] = b;
    }
  }

  /** Approximate memory held, for cache accounting. */
  get byteSize(): number {
    return this.source.length + this.heads.byteLength + this.next.byteLength + this.hashes.byteLength;
  }
}

/** Scratch space reused by every call (createDelta is synchronous); results are copied out. */
let scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

class DeltaWriter {
  readonly out: Buffer;
  length = 0;
  constructor(readonly limit: number) {
    if (scratch.length < limit) scratch = Buffer.allocUnsafe(Math.max(limit, scratch.length * 2));
    this.out = scratch;
  }
  fits(bytes: number): boolean {
    return this.length + bytes <= this.limit;
  }
  varint(value: number): void {
    while (value >= 0x80) {
      this.out[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.out[this.length++] = value;
  }
  insert(data: Uint8Array, start: number, end: number): boolean {
    for (let pos = start; pos < end; pos += MAX_INSERT) {
      const size = Math.min(MAX_INSERT, end - pos);
      if (!this.fits(size + 1)) return false;
      this.out[this.length++] = size;
      for (let k = 0; k < size; k++) this.out[this.length + k] = data[pos + k]!;
      this.length += size;
    }
    return true;
  }
  copy(offset: number, size: number): boolean {
    for (; size > 0;) {
      const chunk = Math.min(size, MAX_COPY);
      if (!this.fits(8)) return false;
      const opAt = this.length++;
      let op = 0x80;
      for (let bit = 0; bit < 4; bit++) {
        const byte = Math.floor(offset / 2 ** (8 * bit)) & 0xff;
        if (byte) {
          op |= 1 << bit;
          this.out[this.length++] = byte;
        }
      }
      for (let bit = 0; bit < 3; bit++) {
        const byte = (chunk >>> (8 * bit)) & 0xff;
        if (byte) {
          op |= 0x10 << bit;
          this.out[this.length++] = byte;
        }
      }
      this.out[opAt] = op;
      offset += chunk;
      size -= chunk;
    }
    return true;
  }
}

/**
 * A delta turning `index.source` into `target`, or `undefined` when it would exceed
 * `maxDeltaSize` bytes (the caller then stores the object whole).
 */
export function createDelta(index: DeltaIndex, target: Buffer, maxDeltaSize = Infinity): Buffer | undefined {
  const source = index.source;
  const worstCase = target.length + Math.ceil(target.length / MAX_INSERT) + 24;
  const writer = new DeltaWriter(Math.min(maxDeltaSize, worstCase));
  if (!writer.fits(20)) return undefined;
  writer.varint(source.length);
  writer.varint(target.length);
  let pending = 0;
  let i = 0;
  let hash = target.length >= BLOCK ? blockHash(target, 0) : 0;
  const { heads, next, hashes, mask } = index;
  while (i + BLOCK <= target.length) {
    let bestLength = 0;
    let bestOffset = 0;
    let seen = 0;
    for (let b = heads[bucketOf(hash, mask)]!; b >= 0 && seen < MAX_CANDIDATES; b = next[b]!, seen++) {
      if (hashes[b] !== hash) continue;
      const start = b * BLOCK;
      const max = Math.min(source.length - start, target.length - i);
      const length = matchLength(source, start, target, i, max);
      if (length > bestLength) {
        bestLength = length;
        bestOffset = start;
        if (length === max || length >= GOOD_ENOUGH_MATCH) break;
      }
    }
    if (bestLength < BLOCK) {
      // Literals alone already overflow the limit: stop scanning early.
      if (writer.length + i - pending > writer.limit) return undefined;
      if (i + BLOCK < target.length) {
        hash = (Math.imul(hash - Math.imul(target[i]!, PRIME_POW), PRIME) + target[i + BLOCK]!) | 0;
      }
      i++;
      continue;
    }
    while (i > pending && bestOffset > 0 && source[bestOffset - 1] === target[i - 1]) {
      i--;
      bestOffset--;
      bestLength++;
    }
    if (!writer.insert(target, pending, i) || !writer.copy(bestOffset, bestLength)) return undefined;
    i += bestLength;
    pending = i;
    if (i + BLOCK <= target.length) hash = blockHash(target, i);
  }
  if (!writer.insert(target, pending, target.length)) return undefined;
  return Buffer.from(writer.out.subarray(0, writer.length));
}

/** One-shot helper: index `source` and diff `target` against it. */
export function diffBuffers(source: Buffer, target: Buffer, maxDeltaSize?: number): Buffer | undefined {
  return createDelta(new DeltaIndex(source), target, maxDeltaSize);
}
