import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from './auth-failures.js';

describe('AuthFailureLimiter', () => {
  it('allows maxFailures per window, then tells the seconds left; a new window starts over', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(() => now, {
      maxFailures: 3,
      windowMs: 60_000,
      maxAddresses: 100,
    });
    expect([1, 2, 3].map(() => limiter.recordFailure('a'))).toEqual([undefined, undefined, undefined]);
    expect(limiter.recordFailure('a')).toBe(60);
    now += 45_500;
    expect(limiter.recordFailure('a')).toBe(15);
    expect(limiter.recordFailure('b')).toBeUndefined();
    now += 15_000;
    expect(limiter.recordFailure('a')).toBeUndefined();
  });

  it('keeps at most maxAddresses entries, forgetting the oldest', () => {
    const limiter = new AuthFailureLimiter(() => 0, { maxFailures: 1, windowMs: 60_000, maxAddresses: 3 });
    for (const address of ['a', 'b', 'c', 'd', 'e']) limiter.recordFailure(address);
    expect(limiter.size).toBe(3);
    // 'a' was forgotten: its next failure is its first again.
    expect(limiter.recordFailure('a')).toBeUndefined();
    expect(limiter.recordFailure('e')).toBe(60);
  });
});
