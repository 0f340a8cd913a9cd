import type * as V8 from 'node:v8';
import { getHeapStatistics, setFlagsFromString, type HeapInfo } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  collectDroppedArrays,
  foregroundBegan,
  foregroundEnded,
  onHeapRelease,
  releaseHeapSoon,
  setHeapTrim,
} from './heap-release.js';

vi.mock('node:v8', async (importOriginal) => ({
  ...(await importOriginal<typeof V8>()),
  setFlagsFromString: vi.fn(),
  getHeapStatistics: vi.fn(),
}));

/** Heap statistics with `usedMb` used of `committedMb` committed. */
function heap(usedMb: number, committedMb: number): HeapInfo {
  const mib = 1024 * 1024;
  return { used_heap_size: usedMb * mib, total_heap_size: committedMb * mib } as HeapInfo;
}

describe('releaseHeapSoon', () => {
  const exposed = globalThis.gc;
  afterEach(() => {
    vi.useRealTimers();
    vi.mocked(setFlagsFromString).mockReset();
    vi.mocked(getHeapStatistics).mockReset();
    globalThis.gc = exposed;
  });

  it('collects once after a burst of asks, and only when the heap is worth it', () => {
    vi.useFakeTimers();
    vi.mocked(getHeapStatistics).mockReturnValue(heap(100, 101));
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

  it('compacts in a second collection when little survives the first, and only in that one', () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    vi.mocked(setFlagsFromString).mockImplementation((flag) => calls.push(flag));
    vi.mocked(getHeapStatistics).mockReturnValue(heap(30, 60));
    globalThis.gc = vi.fn(() => calls.push('collect')) as unknown as typeof globalThis.gc;
    releaseHeapSoon(0);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual([
      'collect',
      '--compact-on-every-full-gc',
      'collect',
      '--no-compact-on-every-full-gc',
    ]);
  });

  it('does not compact a big live heap (a push in flight) nor one without spare pages', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    globalThis.gc = collect as unknown as typeof globalThis.gc;
    for (const [used, committed] of [
      [400, 500],
      [30, 32],
    ] as const) {
      vi.mocked(getHeapStatistics).mockReturnValue(heap(used, committed));
      releaseHeapSoon(0);
      vi.advanceTimersByTime(1000);
    }
    expect(collect).toHaveBeenCalledTimes(2);
    expect(setFlagsFromString).not.toHaveBeenCalled();
  });

  it('waits for the git requests in flight to end, then collects once', () => {
    vi.useFakeTimers();
    vi.mocked(getHeapStatistics).mockReturnValue(heap(100, 101));
    const collect = vi.fn();
    globalThis.gc = collect as unknown as typeof globalThis.gc;
    // A clone's ls-refs ends (asking), its fetch begins before the collection is due.
    foregroundBegan();
    foregroundEnded();
    vi.advanceTimersByTime(500);
    foregroundBegan();
    foregroundBegan();
    releaseHeapSoon(0);
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled();
    foregroundEnded();
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled();
    foregroundEnded();
    vi.advanceTimersByTime(999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('empties the registered native caches after the collections, then trims, until unregistered', () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    vi.mocked(getHeapStatistics).mockReturnValue(heap(100, 101));
    globalThis.gc = vi.fn(() => calls.push('collect')) as unknown as typeof globalThis.gc;
    setHeapTrim(() => calls.push('trim'));
    const stop = onHeapRelease(() => calls.push('release'));
    releaseHeapSoon(0);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['collect', 'release', 'trim']);
    // A heap not worth collecting: no collection, no release either.
    releaseHeapSoon(Number.MAX_SAFE_INTEGER);
    vi.advanceTimersByTime(1000);
    stop();
    releaseHeapSoon(0);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['collect', 'release', 'trim', 'collect', 'trim']);
  });

  it('does nothing where the process cannot collect (no --expose-gc)', () => {
    vi.useFakeTimers();
    globalThis.gc = undefined;
    releaseHeapSoon(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('collectDroppedArrays', () => {
  const exposed = globalThis.gc;
  afterEach(() => {
    vi.useRealTimers();
    globalThis.gc = exposed;
  });

  it('collects at once only beside a request in flight, and only for enough dropped bytes', () => {
    vi.useFakeTimers();
    const collect = vi.fn();
    globalThis.gc = collect as unknown as typeof globalThis.gc;
    const mib = 1024 * 1024;
    collectDroppedArrays(100 * mib);
    expect(collect).not.toHaveBeenCalled();
    foregroundBegan();
    collectDroppedArrays(mib);
    expect(collect).not.toHaveBeenCalled();
    collectDroppedArrays(100 * mib);
    expect(collect).toHaveBeenCalledTimes(1);
    foregroundEnded();
    // The request's end asks for the usual collection once quiet; none other at once.
    collectDroppedArrays(100 * mib);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does nothing where the process cannot collect (no --expose-gc)', () => {
    globalThis.gc = undefined;
    foregroundBegan();
    expect(() => collectDroppedArrays(1024 * 1024 * 1024)).not.toThrow();
    foregroundEnded();
  });
});
