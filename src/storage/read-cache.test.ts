import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadCache } from './read-cache.js';

describe('ReadCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps its bases while reads use them', () => {
    vi.useFakeTimers();
    const cache = new ReadCache(1024, 1000);
    cache.set('a', Buffer.from('base'));
    for (let read = 0; read < 5; read++) {
      vi.advanceTimersByTime(600);
      expect(cache.get('a')?.toString()).toBe('base');
    }
  });

  it('empties itself once no read used it for its idle time', () => {
    vi.useFakeTimers();
    const cache = new ReadCache(1024, 1000);
    cache.set('a', Buffer.from('base'));
    vi.advanceTimersByTime(999);
    expect(cache.size).toBe(4);
    vi.advanceTimersByTime(1);
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    // Filled again, it empties again.
    cache.set('b', Buffer.from('other'));
    vi.advanceTimersByTime(1000);
    expect(cache.size).toBe(0);
  });
});
