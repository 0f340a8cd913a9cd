import { describe, expect, it } from 'vitest';
import { findNul, refuseNulInJson } from './text-input.js';

const deep = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe('findNul', () => {
  it.each([
    ['a clean object', { a: 'x', b: [1, true, null, { c: 'y' }] }, undefined],
    ['a top-level string', 'a\u0000b', '(body)'],
    ['a nested value', { a: { b: ['ok', 'n\u0000'] } }, 'a.b[1]'],
    ['a key', { 'k\u0000': 1 }, 'k\\0'],
    ['a nested key', { a: [{ 'k\u0000ey': 'v' }] }, 'a[0].k\\0ey'],
    ['numbers and booleans only', [0, 1.5, false], undefined],
    ['the escape text, not a NUL', { a: '\\u0000' }, undefined],
  ])('%s', (_name, value, where) => {
    expect(findNul(value)).toBe(where);
  });

  it('walks a body as deep as an endpoint takes, and refuses deeper ones', () => {
    expect(findNul(deep(60))).toBeUndefined();
    expect(() => findNul(deep(10_000))).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'body_too_deep' }),
    );
  });

  it('refuses with the field named', () => {
    expect(() => refuseNulInJson({ name: 'ci\u0000bot' })).toThrow(
      expect.objectContaining({
        kind: 'invalid',
        code: 'text_contains_nul',
        message: expect.stringMatching(/in name;/),
      }),
    );
  });
});
