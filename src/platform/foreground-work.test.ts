import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForegroundWork } from './foreground-work.js';

/** Whether `promise` has settled once pending microtasks ran. */
async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (!promise) return true;
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('ForegroundWork', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets background work go on at once when nothing is in flight', () => {
    const work = new ForegroundWork({ quietMs: 100, maxWaitMs: 10_000 });
    expect(work.busy).toBe(false);
    expect(work.pause()).toBeUndefined();
  });

  it('pauses while requests are in flight and for the quiet time after the last one', async () => {
    const work = new ForegroundWork({ quietMs: 100, maxWaitMs: 10_000 });
    const endFirst = work.begin();
    const endSecond = work.begin();
    const paused = work.pause();
    expect(paused).toBeDefined();
    await vi.advanceTimersByTimeAsync(5000);
    expect(await settled(paused)).toBe(false);
    endFirst();
    await vi.advanceTimersByTimeAsync(500);
    expect(await settled(paused)).toBe(false);
    endSecond();
    await vi.advanceTimersByTimeAsync(99);
    expect(await settled(paused)).toBe(false);
    expect(work.pause()).toBeDefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(paused)).toBe(true);
    expect(work.busy).toBe(false);
    expect(work.pause()).toBeUndefined();
  });

  it('starts the quiet time again when a request begins within it', async () => {
    const work = new ForegroundWork({ quietMs: 100, maxWaitMs: 10_000 });
    work.begin()();
    const paused = work.pause();
    await vi.advanceTimersByTimeAsync(80);
    const end = work.begin();
    await vi.advanceTimersByTimeAsync(80);
    expect(await settled(paused)).toBe(false);
    end();
    await vi.advanceTimersByTimeAsync(99);
    expect(await settled(paused)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(paused)).toBe(true);
  });

  it('counts an end called twice once', async () => {
    const work = new ForegroundWork({ quietMs: 100, maxWaitMs: 10_000 });
    const end = work.begin();
    work.begin();
    end();
    end();
    await vi.advanceTimersByTimeAsync(1000);
    expect(work.busy).toBe(true);
    expect(await settled(work.pause())).toBe(false);
  });

  it('runs its end hook once at the end of each request, an end called twice included', () => {
    const onEnd = vi.fn();
    const onBegin = vi.fn();
    const work = new ForegroundWork({ quietMs: 100, onEnd, onBegin });
    const endFirst = work.begin();
    expect(onBegin).toHaveBeenCalledTimes(1);
    const endSecond = work.begin();
    expect(onBegin).toHaveBeenCalledTimes(2);
    expect(onEnd).not.toHaveBeenCalled();
    endFirst();
    endFirst();
    expect(onEnd).toHaveBeenCalledTimes(1);
    endSecond();
    expect(onEnd).toHaveBeenCalledTimes(2);
  });

  it('lets a waiter go after the longest wait under constant traffic', async () => {
    const work = new ForegroundWork({ quietMs: 100, maxWaitMs: 10_000 });
    work.begin();
    const paused = work.pause();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await settled(paused)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(paused)).toBe(true);
    // Each further step waits again: one step per longest wait, not a free run.
    expect(await settled(work.pause())).toBe(false);
  });

  it('waits after a long fetch about as long as it lasted, up to the longest quiet time', async () => {
    const work = new ForegroundWork({ quietMs: 100, maxQuietMs: 3000, maxWaitMs: 60_000 });
    const endLong = work.begin({ fetch: true });
    await vi.advanceTimersByTimeAsync(2000);
    const endShort = work.begin();
    await vi.advanceTimersByTimeAsync(50);
    endLong();
    endShort();
    // The long request (2,050 ms) sets the quiet time, not the short one that ended last.
    const paused = work.pause();
    await vi.advanceTimersByTimeAsync(2049);
    expect(await settled(paused)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(paused)).toBe(true);
    // A request longer than the longest quiet time waits that long only.
    const endLonger = work.begin({ fetch: true });
    await vi.advanceTimersByTimeAsync(20_000);
    endLonger();
    const again = work.pause();
    await vi.advanceTimersByTimeAsync(2999);
    expect(await settled(again)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(again)).toBe(true);
    // A short fetch after that waits the short quiet time again, and so does a long push.
    work.begin({ fetch: true })();
    const short = work.pause();
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(short)).toBe(true);
    const endPush = work.begin();
    await vi.advanceTimersByTimeAsync(5000);
    endPush();
    const afterPush = work.pause();
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(afterPush)).toBe(true);
  });
});
