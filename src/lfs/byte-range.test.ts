import { describe, expect, it } from 'vitest';
import { decideRange } from './byte-range.js';

describe('decideRange (RFC 9110 §14.1.2, single range)', () => {
  it.each([
    [undefined, 10, { kind: 'full' }],
    ['bytes=0-0', 10, { kind: 'partial', span: { start: 0, end: 0 } }],
    ['bytes=2-5', 10, { kind: 'partial', span: { start: 2, end: 5 } }],
    ['bytes=2-', 10, { kind: 'partial', span: { start: 2, end: 9 } }],
    ['bytes=5-999', 10, { kind: 'partial', span: { start: 5, end: 9 } }],
    ['bytes=-3', 10, { kind: 'partial', span: { start: 7, end: 9 } }],
    ['bytes=-30', 10, { kind: 'partial', span: { start: 0, end: 9 } }],
    ['BYTES=1-2', 10, { kind: 'partial', span: { start: 1, end: 2 } }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=10-20', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 10, { kind: 'full' }],
    ['bytes=-', 10, { kind: 'full' }],
    ['bytes=0-1,3-4', 10, { kind: 'full' }],
    ['bytes=a-b', 10, { kind: 'full' }],
    ['items=0-1', 10, { kind: 'full' }],
    ['bytes=1234567890123456-', 10, { kind: 'full' }],
    ['', 10, { kind: 'full' }],
  ])('%s of %i bytes', (header, size, decision) => {
    expect(decideRange(header, size)).toEqual(decision);
  });
});
