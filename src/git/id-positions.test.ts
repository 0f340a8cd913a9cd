import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdPositions } from './id-positions.js';
import type { ObjectId } from './object-id.js';

const idOf = (n: number, algorithm = 'sha1') =>
  createHash(algorithm).update(String(n)).digest('hex') as ObjectId;

describe('IdPositions', () => {
  it("finds every id's first position and nothing else, in SHA-1 and SHA-256", () => {
    for (const algorithm of ['sha1', 'sha256']) {
      const list = Array.from({ length: 5000 }, (_, n) => ({ id: idOf(n, algorithm) }));
      // A repeat keeps the first position.
      list.push({ id: idOf(17, algorithm) });
      const positions = new IdPositions(list);
      for (let n = 0; n < 5000; n++) expect(positions.find(idOf(n, algorithm))).toBe(n);
      for (let n = 5000; n < 6000; n++) expect(positions.find(idOf(n, algorithm))).toBe(-1);
    }
  });

  it('tells apart ids sharing their first 32 bits, and answers an empty list', () => {
    const a = `${'ab'.repeat(4)}${'0'.repeat(32)}` as ObjectId;
    const b = `${'ab'.repeat(4)}${'1'.repeat(32)}` as ObjectId;
    const c = `${'ab'.repeat(4)}${'2'.repeat(32)}` as ObjectId;
    const positions = new IdPositions([{ id: a }, { id: b }]);
    expect([positions.find(a), positions.find(b), positions.find(c)]).toEqual([0, 1, -1]);
    expect(new IdPositions([]).find(a)).toBe(-1);
    // Not an id at all: absent, not an error.
    expect(positions.find('')).toBe(-1);
  });
});
