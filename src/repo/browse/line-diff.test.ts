import { describe, expect, it } from 'vitest';
import { diffLines, diffOps, splitLines, type Hunk } from './line-diff.js';

/** Length of the longest common subsequence, by dynamic programming (the oracle). */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const line of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = line === b[j - 1] ? diagonal + 1 : Math.max(row[j]!, row[j - 1]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Applies hunks to `a` the way `patch` would, to check they describe `b`. */
function applyHunks(a: readonly string[], hunks: readonly Hunk[]): string[] {
  const out: string[] = [];
  let next = 0;
  for (const hunk of hunks) {
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    out.push(...a.slice(next, start));
    next = start;
    for (const line of hunk.lines) {
      if (line.kind !== 'add') {
        expect(a[next]).toBe(line.text);
        next++;
      }
      if (line.kind !== 'delete') out.push(line.text);
    }
  }
  out.push(...a.slice(next));
  return out;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

describe('line diff', () => {
  it('splits lines without inventing a trailing empty line', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
    expect(splitLines('\n')).toEqual(['']);
  });

  it('finds a minimal script and hunks that rebuild the new text (random cases)', () => {
    const random = seeded(42);
    for (let round = 0; round < 200; round++) {
      const alphabet = ['a', 'b', 'c', 'd', '}', ''];
      const make = () =>
        Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * 6)]!);
      const a = make();
      const b = make();
      const ops = diffOps(a, b);
      const kept = ops.filter((op) => op === 0).length;
      expect(kept).toBe(lcsLength(a, b));
      for (const context of [0, 1, 3]) expect(applyHunks(a, diffLines(a, b, context))).toEqual(b);
    }
  });

  it('writes hunk headers like git diff -U3', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
    const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11'];
    const hunks = diffLines(a, b);
    expect(hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([[2, 9, 2, 10]]);
    expect(diffLines([], ['x'])).toMatchObject([{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1 }]);
    expect(diffLines(['x'], [])).toMatchObject([{ oldStart: 1, oldLines: 1, newStart: 0, newLines: 0 }]);
    expect(diffLines(['a', 'b'], ['a', 'b'])).toEqual([]);
  });

  it('separates far-apart changes into two hunks', () => {
    const a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[2] = 'changed';
    b[30] = 'changed too';
    expect(diffLines(a, b)).toHaveLength(2);
  });

  it('stays fast on large unrelated inputs by giving up on minimality', () => {
    const a = Array.from({ length: 50_000 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 50_000 }, (_, i) => `b${i}`);
    const hunks = diffLines(a, b);
    expect(applyHunks(a, hunks)).toEqual(b);
  });
});
