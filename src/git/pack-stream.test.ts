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
