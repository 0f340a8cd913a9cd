import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { INFLATE_SLACK, Inflater } from './inflater.js';

/** What inflating one stream came to: its error's code, or where it ended and what it made. */
type Outcome = { code: string } | { consumed: number; output: string };

/** A small xorshift generator: the cases are the same on every run. */
function generator(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

/**
 * Feeds `input` in pieces cut at `cuts` (as a pack's chunks arrive), starting with `begin`:
 * the stream's outcome. A pack always has bytes after an entry's stream (its trailer at least).
 */
function inflate(
  inflater: Inflater,
  begin: (inflater: Inflater) => void,
  input: Buffer,
  cuts: number[],
): Outcome {
  begin(inflater);
  let consumed = 0;
  try {
    for (const [from, to] of pieces(input.length, cuts)) {
      const result = inflater.push(input, from, to);
      consumed += result.consumed;
      if (result.done) return { consumed, output: inflater.output().toString('hex') };
    }
    return { code: 'not_done' };
  } catch (error) {
    return { code: (error as { code: string }).code };
  }
}

function pieces(length: number, cuts: number[]): [number, number][] {
  const ends = [...cuts.filter((cut) => cut > 0 && cut < length).sort((a, b) => a - b), length];
  return ends.map((end, i) => [i === 0 ? 0 : ends[i - 1]!, end]);
}

function content(next: (below: number) => number): Buffer {
  const size = [0, 1, 40, 250, 257, 258, 259, 600, 3000][next(9)]! + next(40);
  const words = ['tree ', '100644 ', 'blob\n', 'a', '\0', 'xyzzy'];
  const parts: Buffer[] = [];
  for (let length = 0; length < size;) {
    const part = next(4) === 0 ? randomBytes(1 + next(30)) : Buffer.from(words[next(words.length)]!);
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** A stream that may be corrupt: a bit flipped, cut short, or with its checksum wrong. */
function damaged(stream: Buffer, next: (below: number) => number): Buffer {
  const copy = Buffer.from(stream);
  switch (next(5)) {
    case 0: {
      const at = next(copy.length);
      copy[at] = copy[at]! ^ (1 << next(8));
      return copy;
    }
    case 1:
      return copy.subarray(0, next(copy.length));
    case 2:
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
      return copy;
    default:
      return copy;
  }
}

const exactRoom = (size: number) => (inflater: Inflater) => inflater.beginInto(size, Buffer.alloc(size + 1));

describe('Inflater', () => {
  it('with room past the size, ends every stream as with exact room (random, damaged, split)', () => {
    const next = generator(20261207);
    const withSlack = new Inflater();
    const exact = new Inflater();
    const into = Buffer.alloc(1 << 16);
    let outcomes = 0;
    for (let n = 0; n < 3000; n++) {
      const data = content(next);
      const stream = zlib.deflateSync(data, { level: [0, 1, 6, 9][next(4)]! });
      const input = Buffer.concat([next(3) === 0 ? damaged(stream, next) : stream, randomBytes(20)]);
      const size = Math.max(0, data.length + [0, 0, 0, 1, -1, 7, -7, 300, -300][next(9)]!);
      const cuts = next(3) === 0 ? [] : [next(input.length), next(input.length)];
      const expected = inflate(exact, exactRoom(size), input, cuts);
      expect(inflate(withSlack, (inflater) => inflater.begin(size, true), input, cuts)).toEqual(expected);
      expect(inflate(withSlack, (inflater) => inflater.beginInto(size, into), input, cuts)).toEqual(expected);
      if ('output' in expected) outcomes++;
    }
    // Both kinds of outcome were met.
    expect(outcomes).toBeGreaterThan(500);
    expect(outcomes).toBeLessThan(2500);
  });

  it('refuses a stream that goes on past its size and is corrupt after it as too large, as with exact room', () => {
    const data = Buffer.from('0123456789'.repeat(20));
    const stream = zlib.deflateSync(data, { level: 0 });
    // A stored block: its last byte of content corrupts nothing; its checksum's last byte does.
    stream[stream.length - 1] = stream[stream.length - 1]! ^ 1;
    const input = Buffer.concat([stream, Buffer.alloc(20)]);
    // (At one byte under, the room holds the whole content: zlib goes on to the checksum.)
    for (const size of [10, 100, data.length - 2]) {
      expect(inflate(new Inflater(), exactRoom(size), input, [])).toEqual({ code: 'pack_size_mismatch' });
      expect(inflate(new Inflater(), (inflater) => inflater.begin(size, true), input, [])).toEqual({
        code: 'pack_size_mismatch',
      });
    }
    expect(inflate(new Inflater(), exactRoom(data.length), input, [])).toEqual({ code: 'pack_bad_zlib' });
  });

  it('writes no more than the slack past the size into a target', () => {
    const data = Buffer.from('tree '.repeat(100));
    const input = Buffer.concat([zlib.deflateSync(data), Buffer.alloc(20)]);
    const target = Buffer.alloc(2000, 0xee);
    const size = 10;
    expect(inflate(new Inflater(), (inflater) => inflater.beginInto(size, target), input, [])).toEqual({
      code: 'pack_size_mismatch',
    });
    expect(target.subarray(size + 1 + INFLATE_SLACK).every((byte) => byte === 0xee)).toBe(true);
  });
});
