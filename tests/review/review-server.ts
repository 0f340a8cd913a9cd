import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../../src/access/principal.js';
import { buildApp, buildAppServer, type App } from '../../src/cli/app.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetricsRegistry } from '../../src/platform/metrics.js';
import type { DelivererOptions } from '../../src/review/webhooks.js';
import { createStorage } from '../../src/storage/storage.js';
import { authEnv } from '../http/http-fixture.js';
import type { GitOptions } from '../support/git-cli.js';
import {
  createScratchDatabase,
  type DialectName,
  type ScratchDatabase,
} from '../support/scratch-database.js';

/** Users of the review test server, by token: an administrator (the CI bot too) and a writer. */
export const REVIEW_TOKENS: Readonly<Record<string, Principal>> = {
  'root-token': {
    kind: 'user',
    userId: 1,
    username: 'root',
    isAdmin: true,
    scopes: ['read', 'write', 'admin'],
  },
  'bob-token': { kind: 'user', userId: 2, username: 'bob', isAdmin: false, scopes: ['read', 'write'] },
};

export interface ReviewServer {
  readonly url: string;
  readonly app: App;
  readonly work: string;
  readonly as: { readonly root: GitOptions; readonly bob: GitOptions };
  /** A JSON request with a token (`root-token`, `bob-token`) or none. */
  api(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

/**
 * The real app (`buildApp`: the Mega directory over stored repositories, every route plugin, the
 * webhook deliverer) over a scratch database of `dialect`, listening on loopback. bob may write
 * everywhere; root is an administrator.
 */
export async function startReviewServer(
  dialect: DialectName = 'sqlite',
  webhookDelivery: Partial<DelivererOptions> = {},
  /** Another server's database (several servers of one installation); left for its owner to drop. */
  shared?: ScratchDatabase,
): Promise<ReviewServer> {
  const scratch: ScratchDatabase = shared ?? (await createScratchDatabase(dialect));
  const config = loadConfig({
    // The receivers of the tests listen on loopback, which the default rule refuses.
    env: { MEGA_WEBHOOK_ALLOWED_HOSTS: 'loopback' },
    overrides: { dataDir: scratch.dataDir, databaseUrl: scratch.url, anonymousRead: true },
  });
  const storage = createStorage(scratch.database, config);
  await storage.access.setGrant('/', 'user', 2, 'write');
  const app = await buildApp(config, createLogger({ level: 'silent' }), createMetricsRegistry(), {
    storage,
    authenticate: async (token) => REVIEW_TOKENS[token] ?? null,
    webhookDelivery,
  });
  await app.services.directory.init();
  const server = await buildAppServer(app);
  await server.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    work: scratch.dataDir,
    as: { root: { env: authEnv('root-token') }, bob: { env: authEnv('bob-token') } },
    async api(method, path, options = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await server.close();
      if (!shared) await scratch.drop();
    },
  };
}

export interface ReceivedHook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A webhook receiver on 127.0.0.1: records every request and answers with the next status of
 * `answers` (the last one repeats). `next(n)` resolves once `n` requests arrived.
 */
export async function startReceiver(answers: readonly number[] = [200]) {
  const received: ReceivedHook[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = answers[Math.min(received.length, answers.length - 1)] ?? 200;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status}`);
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    next(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `read` until `done` holds (no timed assertions: the test's own timeout bounds it). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
