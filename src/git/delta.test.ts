import { describe, expect, it } from 'vitest';
import { applyDelta, deltaSizes, MAX_WORK_BYTES } from './delta.js';

const BASE = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

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
    ['wrong base size', [35, 1, 1, 0x41], 'delta_base_size_mismatch'],
    ['copy past the base', [36, 10, 0x91, 30, 10], 'delta_copy_out_of_bounds'],
    ['copy past the result', [36, 2, 0x90, 5], 'delta_copy_out_of_bounds'],
    ['insert past the delta', [36, 5, 5, 0x41], 'delta_insert_out_of_bounds'],
    ['insert past the result', [36, 1, 2, 0x41, 0x42], 'delta_insert_out_of_bounds'],
    ['reserved opcode', [36, 1, 0], 'delta_bad_opcode'],
    ['short result', [36, 5, 1, 0x41], 'delta_result_size_mismatch'],
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
