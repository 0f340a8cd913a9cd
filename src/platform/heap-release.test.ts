import type * as V8 from 'node:v8';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { releaseHeapSoon } from './heap-release.js';

vi.mock('node:v8', async (importOriginal) => ({
  ...(await importOriginal<typeof V8>()),
  setFlagsFromString: vi.fn(),
}));

describe('releaseHeapSoon', () => {
  const exposed = globalThis.gc;
  afterEach(() => {
    vi.useRealTimers();
    vi.mocked(setFlagsFromString).mockClear();
    globalThis.gc = exposed;
  });

  it('collects once after a burst of asks, and only when the heap is worth it', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    globalThis.gc = collect as unknown as typeof globalThis.gc;
    for (let ask = 0; ask < 5; ask++) {
      releaseHeapSoon(0);
      vi.advanceTimersByTime(500);
    }
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    releaseHeapSoon(Number.MAX_SAFE_INTEGER);
    vi.advanceTimersByTime(5000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('compacts in that collection only', () => {
    vi.useFakeTimers();
    const flags: string[] = [];
    vi.mocked(setFlagsFromString).mockImplementation((flag) => flags.push(flag));
    globalThis.gc = vi.fn(() => flags.push('collect')) as unknown as typeof globalThis.gc;
    releaseHeapSoon(0);
    vi.advanceTimersByTime(1000);
    expect(flags).toEqual(['--compact-on-every-full-gc', 'collect', '--no-compact-on-every-full-gc']);
  });

  it('does nothing where the process cannot collect (no --expose-gc)', () => {
    vi.useFakeTimers();
    globalThis.gc = undefined;
    releaseHeapSoon(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
