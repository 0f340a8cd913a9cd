import { describe, expect, it } from 'vitest';
import { metricsAllowed } from './metrics-access.js';

describe('metrics access', () => {
  const token = 'metrics-token-0123456789';

  it('is open without a configured token', () => {
    expect(metricsAllowed(undefined, undefined)).toBe(true);
  });

  it('needs the exact Bearer token once one is configured', () => {
    expect(metricsAllowed(token, `Bearer ${token}`)).toBe(true);
    expect(metricsAllowed(token, `bearer ${token}`)).toBe(true);
    expect(metricsAllowed(token, undefined)).toBe(false);
    expect(metricsAllowed(token, `Bearer ${token}x`)).toBe(false);
    expect(metricsAllowed(token, `Basic ${Buffer.from(`x:${token}`).toString('base64')}`)).toBe(false);
    expect(metricsAllowed(token, 'Bearer')).toBe(false);
    expect(metricsAllowed(token, `Bearer ${'x'.repeat(100_000)}`)).toBe(false);
  });
});
