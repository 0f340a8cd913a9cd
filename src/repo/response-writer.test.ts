import { describe, expect, it } from 'vitest';
import { SIDEBAND_64K_MAX_DATA, SIDEBAND_MAX_DATA } from '../git/protocol/sideband.js';
import { GitResponseWriter, failureResponse, type SidebandMode } from './response-writer.js';

/** Splits a response into pkt-lines: `[band, payload]` (band -1 for a flush). */
function packets(response: Buffer): Array<[number, Buffer]> {
  const found: Array<[number, Buffer]> = [];
  for (let at = 0; at < response.length;) {
    const length = Number.parseInt(response.subarray(at, at + 4).toString('latin1'), 16);
    if (length === 0) {
      found.push([-1, Buffer.alloc(0)]);
      at += 4;
      continue;
    }
    found.push([response[at + 4] as number, response.subarray(at + 5, at + length)]);
    at += length;
  }
  return found;
}

async function written(mode: SidebandMode, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const writer = new GitResponseWriter({ write: async (chunk) => void out.push(Buffer.from(chunk)) }, mode);
  for (const chunk of chunks) await writer.write(chunk);
  await writer.progress('halfway\n');
  await writer.write(Buffer.from('tail'));
  await writer.flushData();
  await writer.flushPkt();
  return Buffer.concat(out);
}

describe('GitResponseWriter', () => {
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
  // Pieces smaller than, equal to and larger than a packet, cut at odd places.
  const sizes = [1, 4, 65_515, 65_516, 100_000, 3, 68_961];
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; at += sizes[i % sizes.length] as number, i++) {
    pieces.push(data.subarray(at, at + (sizes[i % sizes.length] as number)));
  }

  it.each([
    ['side-band-64k', SIDEBAND_64K_MAX_DATA],
    ['side-band', SIDEBAND_MAX_DATA],
  ] as const)('frames pack data on band 1 in full %s packets, progress on band 2', async (mode, max) => {
    const response = packets(await written(mode, pieces));
    const band1 = response.filter(([band]) => band === 1).map(([, payload]) => payload);
    expect(Buffer.concat(band1).equals(Buffer.concat([data, Buffer.from('tail')]))).toBe(true);
    expect(band1.every((payload) => payload.length <= max)).toBe(true);
    // Before the progress line every packet but the last is full.
    const progressAt = response.findIndex(([band]) => band === 2);
    const beforeProgress = response.slice(0, progressAt).map(([, payload]) => payload.length);
    expect(beforeProgress.slice(0, -1).every((length) => length === max)).toBe(true);
    expect(response[progressAt]?.[1].toString()).toBe('halfway\n');
    expect(response.at(-1)?.[0]).toBe(-1);
  });

  it('writes pack data as it comes without side-band', async () => {
    const response = await written('none', pieces);
    expect(response.subarray(0, data.length).equals(data)).toBe(true);
  });

  it.each([
    ['side-band-64k', true],
    ['side-band', true],
    ['none', false],
  ] as const)('with %s, the pack part is multiplexed before anything is written: %s', (mode, marked) => {
    let multiplexed = false;
    const writer = new GitResponseWriter(
      { write: async () => undefined, markSideband: () => void (multiplexed = true) },
      mode,
      true,
    );
    writer.beginSideband();
    expect(multiplexed).toBe(marked);
  });

  it('a message, sent even when quiet, marks the response multiplexed', async () => {
    let multiplexed = false;
    const writer = new GitResponseWriter(
      { write: async () => undefined, markSideband: () => void (multiplexed = true) },
      'side-band-64k',
      true,
    );
    await writer.progress('dropped\n');
    expect(multiplexed).toBe(false);
    await writer.message('hook says\n');
    expect(multiplexed).toBe(true);
  });
});

describe('failureResponse', () => {
  it('is band 3 with `error: ` (git prints `remote: error: …`) and a flush once multiplexed', () => {
    expect(packets(failureResponse('tree 1234 is missing', true))).toEqual([
      [3, Buffer.from('error: tree 1234 is missing\n')],
      [-1, Buffer.alloc(0)],
    ]);
  });

  it('is an ERR packet before, on one line', () => {
    expect(failureResponse('not our ref\nsecond line', false).toString()).toBe(
      '0020ERR not our ref second line\n',
    );
  });
});
