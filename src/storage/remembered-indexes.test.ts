import { afterEach, describe, expect, it, vi } from 'vitest';
import { RememberedIndexes } from './remembered-indexes.js';

const bytes = (length: number, fill = 1) => Buffer.alloc(length, fill);

describe('RememberedIndexes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets the least recently used go beyond its bytes', () => {
    const kept = new RememberedIndexes(100, 60_000);
    kept.set('a', bytes(40));
    kept.set('b', bytes(40));
    expect(kept.get('a')?.length).toBe(40);
    kept.set('c', bytes(40));
    expect(kept.get('b')).toBeUndefined();
    expect(kept.get('a')).toBeDefined();
    expect(kept.get('c')).toBeDefined();
    expect(kept.bytes).toBe(80);
  });

  it('keeps nothing larger than its bytes, and replaces a key', () => {
    const kept = new RememberedIndexes(100, 60_000);
    kept.set('a', bytes(101));
    expect(kept.get('a')).toBeUndefined();
    kept.set('a', bytes(10, 1));
    kept.set('a', bytes(20, 2));
    expect(kept.get('a')?.[0]).toBe(2);
    expect(kept.bytes).toBe(20);
    kept.forget('a');
    expect(kept.bytes).toBe(0);
  });

  it('lets an index go once unused for its idle time, each use starting it again', () => {
    vi.useFakeTimers();
    const kept = new RememberedIndexes(100, 1_000);
    kept.set('a', bytes(10));
    vi.advanceTimersByTime(800);
    expect(kept.get('a')).toBeDefined();
    vi.advanceTimersByTime(800);
    expect(kept.get('a')).toBeDefined();
    vi.advanceTimersByTime(1_001);
    expect(kept.get('a')).toBeUndefined();
    expect(kept.bytes).toBe(0);
  });
});
