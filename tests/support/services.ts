import { createConnection } from 'node:net';

/**
 * External services the suites use. Outside CI a missing service skips its tests with a loud
 * message; under CI=true a missing service fails the run (SPEC: CI must not silently skip).
 */
export const SERVICES = {
  postgres: { host: '127.0.0.1', port: 5432, url: 'postgres://postgres@127.0.0.1:5432/postgres' },
  mysql: { host: '127.0.0.1', port: 3306, url: 'mysql://root@127.0.0.1:3306/test' },
  redis: { host: '127.0.0.1', port: 6379, url: 'redis://127.0.0.1:6379' },
} as const;

export type ServiceName = keyof typeof SERVICES;

export const IN_CI = process.env.CI === 'true';

function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws under CI, otherwise prints a
 * loud warning and resolves false (callers then `describe.skip` / `it.skip`).
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const { host, port } = SERVICES[name];
  if (await canConnect(host, port)) return true;
  const message = `${name} is not reachable on ${host}:${port}`;
  if (IN_CI) throw new Error(`${message}; CI requires it (.ci/run starts it)`);
  process.stderr.write(`\n*** SKIPPING ${name} tests: ${message} ***\n\n`);
  return false;
}
