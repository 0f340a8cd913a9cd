import { describe, expect, it } from 'vitest';
import { ConnectionLimiter } from './connection-limiter.js';

const limits = {
  maxConnectionsPerAddress: 3,
  maxUnauthenticatedPerAddress: 2,
  maxConnections: 5,
  maxFailuresPerWindow: 2,
  failureWindowMs: 1000,
};

describe('ConnectionLimiter', () => {
  it('bounds unauthenticated and open connections per address, and in all', () => {
    const limiter = new ConnectionLimiter(limits);
    expect(limiter.admit('a').admitted).toBe(true);
    expect(limiter.admit('a').admitted).toBe(true);
    expect(limiter.admit('a')).toEqual({
      admitted: false,
      reason: 'too many unauthenticated connections from this address',
    });
    limiter.authenticated('a');
    expect(limiter.admit('a').admitted).toBe(true);
    limiter.authenticated('a');
    expect(limiter.admit('a')).toEqual({ admitted: false, reason: 'too many connections from this address' });
    // Other addresses are not affected, up to the total.
    expect(limiter.admit('b').admitted).toBe(true);
    expect(limiter.admit('c').admitted).toBe(true);
    expect(limiter.admit('d')).toEqual({ admitted: false, reason: 'server busy' });
    limiter.closed('a', true, false);
    expect(limiter.admit('d').admitted).toBe(true);
  });

  it('refuses an address whose connections keep failing, until the window passes', () => {
    let now = 0;
    const limiter = new ConnectionLimiter(limits, () => now);
    for (let i = 0; i < 2; i++) {
      expect(limiter.admit('x').admitted).toBe(true);
      limiter.closed('x', false, true);
    }
    expect(limiter.admit('x')).toEqual({ admitted: false, reason: 'too many failed authentications' });
    expect(limiter.admit('y').admitted).toBe(true);
    now = 1001;
    expect(limiter.admit('x').admitted).toBe(true);
  });
});
