import { describe, expect, it } from 'vitest';
import { applyDelta, applyDeltaWithin, deltaSizes, MAX_WORK_BYTES } from './delta.js';

const BASE = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

/** Deltas on `BASE` that both appliers refuse, with the code of the refusal. */
const MALFORMED_DELTAS: Array<[name: string, bytes: number[], code: string]> = [
  ['wrong base size', [35, 1, 1, 0x41], 'delta_base_size_mismatch'],
  ['copy past the base', [36, 10, 0x91, 30, 10], 'delta_copy_out_of_bounds'],
  ['copy past the result', [36, 2, 0x90, 5], 'delta_copy_out_of_bounds'],
  ['insert past the delta', [36, 5, 5, 0x41], 'delta_insert_out_of_bounds'],
  ['insert past the result', [36, 1, 2, 0x41, 0x42], 'delta_insert_out_of_bounds'],
  ['reserved opcode', [36, 1, 0], 'delta_bad_opcode'],
  ['short result', [36, 5, 1, 0x41], 'delta_result_size_mismatch'],
];

describe('applyDelta fixed vectors', () => {
  it('copies and inserts', () => {
    // base 36, result 13: copy offset 10 size 6, insert "--", copy offset 0 size 5
    const delta = Buffer.from([36, 13, 0x91, 10, 6, 2, 0x2d, 0x2d, 0x90, 5]);
    expect(applyDelta(BASE, delta).toString()).toBe('abcdef--01234');
    expect(deltaSizes(delta)).toEqual({ baseSize: 36, resultSize: 13, headerLength: 2 });
  });

  it('treats copy size 0 as 0x10000', () => {
    const base = Buffer.alloc(0x10000, 7);
    const delta = Buffer.from([0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80]);
    expect(applyDelta(base, delta).equals(base)).toBe(true);
  });

  it.each([
    ...MALFORMED_DELTAS,
    ['truncated header', [0x80], 'delta_truncated'],
    ['truncated copy', [36, 5, 0x91, 1], 'delta_truncated'],
    ['endless varint', Array(10).fill(0xff), 'delta_bad_header'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => applyDelta(BASE, Buffer.from(bytes))).toThrow(expect.objectContaining({ code }));
  });

  it('refuses an absurd declared result before allocating', () => {
    const delta = Buffer.from([36, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0x41]);
    expect(() => applyDelta(BASE, delta, 1 << 20)).toThrow(
      expect.objectContaining({ code: 'delta_result_too_large' }),
    );
  });
});

describe('applyDeltaWithin: base and result in one buffer', () => {
  /** BASE at `baseAt` of a buffer with room for a result at `resultAt`; the result as text. */
  function within(delta: number[], baseAt: number, resultAt: number, size = 64): string {
    const bytes = Buffer.alloc(size, 0x2e);
    BASE.copy(bytes, baseAt);
    const resultSize = applyDeltaWithin(bytes, baseAt, BASE.length, Buffer.from(delta), resultAt);
    return bytes.toString('latin1', resultAt, resultAt + resultSize);
  }
  const delta = [36, 13, 0x91, 10, 6, 2, 0x2d, 0x2d, 0x90, 5];

  it('gives what applyDelta gives, with the result after or before the base', () => {
    expect(within(delta, 0, 40)).toBe('abcdef--01234');
    expect(within(delta, 20, 2)).toBe('abcdef--01234');
    // Copies longer than the loop's threshold go by copyWithin.
    const long = [36, 36, 0x90, 36];
    expect(within(long, 0, 36, 72)).toBe(BASE.toString());
    expect(within(long, 36, 0, 72)).toBe(BASE.toString());
  });

  it.each([
    ...MALFORMED_DELTAS,
    ['truncated copy', [36, 5, 0x91, 1], 'delta_truncated'],
    ['absurd result', [36, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0x41], 'delta_result_too_large'],
  ])('rejects %s', (_name, bytes, code) => {
    const buffer = Buffer.alloc(64);
    BASE.copy(buffer);
    expect(() => applyDeltaWithin(buffer, 0, 36, Buffer.from(bytes), 40, 1 << 20)).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('refuses a result that overlaps its base or leaves the buffer', () => {
    const bytes = Buffer.alloc(64);
    expect(() => applyDeltaWithin(bytes, 0, 36, Buffer.from(delta), 30)).toThrow(RangeError);
    expect(() => applyDeltaWithin(bytes, 20, 36, Buffer.from(delta), 10)).toThrow(RangeError);
    expect(() => applyDeltaWithin(bytes, 0, 36, Buffer.from(delta), 55)).toThrow(RangeError);
    expect(() => applyDeltaWithin(bytes, 40, 36, Buffer.from(delta), 0)).toThrow(RangeError);
  });
});

describe('applyDelta on objects too big for the work buffer', () => {
  // Base plus result over MAX_WORK_BYTES take the other path: the same checks must hold there.
  const big = Buffer.alloc(MAX_WORK_BYTES, 3);
  big.write('0123456789', 100);
  const header = (resultSize: number) => [...varint(big.length), ...varint(resultSize)];

  it('copies and inserts', () => {
    const delta = Buffer.from([...header(13), 0x91, 100, 6, 2, 0x2d, 0x2d, 0x90, 5]);
    expect(applyDelta(big, delta).toString('latin1')).toBe('012345--\x03\x03\x03\x03\x03');
  });

  it.each([
    ['copy past the base', [...header(10), 0x94, 0x80, 10], 'delta_copy_out_of_bounds'],
    ['copy past the result', [...header(2), 0x90, 5], 'delta_copy_out_of_bounds'],
    ['insert past the delta', [...header(5), 5, 0x41], 'delta_insert_out_of_bounds'],
    ['insert past the result', [...header(1), 2, 0x41, 0x42], 'delta_insert_out_of_bounds'],
    ['reserved opcode', [...header(1), 0], 'delta_bad_opcode'],
    ['short result', [...header(5), 1, 0x41], 'delta_result_size_mismatch'],
    ['truncated copy', [...header(5), 0x91, 1], 'delta_truncated'],
  ])('rejects %s', (_name, bytes, code) => {
    expect(() => applyDelta(big, Buffer.from(bytes))).toThrow(expect.objectContaining({ code }));
  });
});

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value & 0x7f) | 0x80);
  return [...bytes, value];
}
