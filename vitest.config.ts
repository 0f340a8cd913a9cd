import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    // Interop tests start real servers and git processes; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The reporter names every test slower than this, so a test that creeps up shows in CI logs.
    slowTestThreshold: 5_000,
  },
});
