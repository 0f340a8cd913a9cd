import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A registry per process (never prom-client's global one), so tests and several servers in one
 * process do not share counters. Each module registers its own metrics on the registry it is given.
 */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'mega_' });
  return registry;
}

export type { Registry };
