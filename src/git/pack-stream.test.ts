import { describe, expect, it } from 'vitest';
import { SHA1 } from './object-format.js';
import { PackStream } from './pack-stream.js';

async function written(fill: (stream: PackStream) => void): Promise<Buffer> {
  const pieces: Buffer[] = [];
  const stream = new PackStream({ write: async (chunk) => void pieces.push(Buffer.from(chunk)) }, SHA1);
  fill(stream);
  await stream.finish();
  return Buffer.concat(pieces);
}

describe('PackStream.appendRange', () => {
  it('writes the same bytes and checksum as appending the range, small and large', async () => {
    const source = Buffer.from(Array.from({ length: 100_000 }, (_, at) => at % 251));
    const ranges: Array<[number, number]> = [
      [0, 10],
      [10, 10],
      [500, 40_000],
      [40_000, 100_000],
    ];
    const byRange = await written((stream) => {
      for (const [start, end] of ranges) stream.appendRange(source, start, end);
    });
    const bySubarray = await written((stream) => {
      for (const [start, end] of ranges) stream.append(source.subarray(start, end));
    });
    expect(byRange).toEqual(bySubarray);
    expect(byRange.length).toBe(10 + 39_500 + 60_000 + 20);
  });
});

describe('PackStream.appendCopy', () => {
  it('writes what appending the range writes, across staging pieces, and keeps nothing of its source', async () => {
    const source = Buffer.from(Array.from({ length: 200_000 }, (_, at) => at % 251));
    const ranges: Array<[number, number]> = [
      [0, 10],
      [10, 10],
      [500, 40_000],
      [40_000, 200_000],
      [7, 65_543],
    ];
    const expected = await written((stream) => {
      for (const [start, end] of ranges) stream.append(Buffer.from(source.subarray(start, end)));
    });
    const reused = Buffer.from(source);
    const copied = await written((stream) => {
      for (const [start, end] of ranges) {
        stream.appendCopy(reused, start, end);
        // The caller overwrites its buffer at once (a read window reused): the pack must not see it.
        reused.fill(0xee);
        source.copy(reused);
      }
      reused.fill(0xee);
    });
    expect(copied).toEqual(expected);
  });
});
