import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
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
    let failure: unknown;
    try {
      findNul(deep(10_000));
    } catch (error) {
      failure = error;
    }
    expect(isMegaError(failure, 'invalid') && failure.code).toBe('body_too_deep');
  });

  it('refuses with the field named', () => {
    let failure: unknown;
    try {
      refuseNulInJson({ name: 'ci\u0000bot' });
    } catch (error) {
      failure = error;
    }
    expect(isMegaError(failure, 'invalid') && failure.code).toBe('text_contains_nul');
    expect((failure as Error).message).toMatch(/in name;/);
  });
});
