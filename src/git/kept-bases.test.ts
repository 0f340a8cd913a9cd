import { describe, expect, it } from 'vitest';
import { KeptBases } from './kept-bases.js';

describe('KeptBases', () => {
  it('copies, and reuses a released piece for the next kept base', () => {
    const kept = new KeptBases(16, 2);
    const first = kept.keep(Buffer.from('first'));
    expect(first.toString()).toBe('first');
    kept.release(first);
    const second = kept.keep(Buffer.from('second'));
    expect(second.buffer).toBe(first.buffer);
    expect(second.toString()).toBe('second');
    expect(kept.lentCount).toBe(1);
  });

  it('gives contents larger than a piece, or beyond the lent bound, buffers of their own', () => {
    const kept = new KeptBases(4, 1);
    const big = kept.keep(Buffer.from('too big'));
    expect(big.toString()).toBe('too big');
    const lent = kept.keep(Buffer.from('abc'));
    const over = kept.keep(Buffer.from('xyz'));
    expect(over.buffer).not.toBe(lent.buffer);
    expect(kept.lentCount).toBe(1);
    kept.release(big);
    kept.release(over);
    expect(kept.lentCount).toBe(1);
    kept.release(lent);
    expect(kept.lentCount).toBe(0);
  });

  it('ignores buffers it did not lend, and a second release', () => {
    const kept = new KeptBases(16, 2);
    const piece = kept.keep(Buffer.from('x'));
    kept.release(Buffer.alloc(16));
    kept.release(piece);
    kept.release(piece);
    const a = kept.keep(Buffer.from('a'));
    const b = kept.keep(Buffer.from('b'));
    expect(a.buffer).not.toBe(b.buffer);
  });
});
