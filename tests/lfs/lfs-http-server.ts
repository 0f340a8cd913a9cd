import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/platform/config.js';
import { notFound } from '../../src/platform/errors.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetricsRegistry } from '../../src/platform/metrics.js';
import type { RepositoryResolver, ServedRepository } from '../../src/repo/served-repository.js';
import { buildApp, buildAppServer } from '../../src/cli/app.js';
import { createStorage } from '../../src/storage/storage.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import type { Principal } from '../../src/access/principal.js';

/** Users of the test server, by token. */
export const TOKENS: Readonly<Record<string, Principal>> = {
  'alice-token': { kind: 'user', userId: 1, username: 'alice', isAdmin: false, scopes: ['read', 'write'] },
  'bob-token': { kind: 'user', userId: 2, username: 'bob', isAdmin: false, scopes: ['read', 'write'] },
  'admin-token': {
    kind: 'user',
    userId: 3,
    username: 'root',
    isAdmin: true,
    scopes: ['read', 'write', 'admin'],
  },
};

/**
 * Repositories of the stand-in resolver: `/existing/…` exist, `/new/…` do not yet (a push would
 * create them), `/readonly/…` exist but refuse writes, anything else is unknown (404). Only the
 * fields LFS reads are filled in.
 */
export const testResolver: RepositoryResolver = {
  async resolve(path) {
    const [, area] = path.split('/');
    if (area !== 'existing' && area !== 'new' && area !== 'readonly') {
      throw notFound('repository_not_found', 'repository not found', { path });
    }
    return {
      path,
      exists: area !== 'new',
      writable: area !== 'readonly',
      readOnlyReason: area === 'readonly' ? 'read-only mirror' : undefined,
    } as unknown as ServedRepository;
  },
};

export interface LfsTestServer {
  readonly url: string;
  readonly scratch: ScratchDatabase;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** The real web server (all route plugins) over a scratch SQLite database, listening on loopback. */
export async function startLfsTestServer(
  options: { anonymousRead?: boolean; maxRequestBytes?: number } = {},
): Promise<LfsTestServer> {
  const scratch = await createScratchDatabase('sqlite');
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: scratch.dataDir,
      databaseUrl: scratch.url,
      anonymousRead: options.anonymousRead ?? true,
      'limits.maxRequestBytes': options.maxRequestBytes,
    },
  });
  const storage = createStorage(scratch.database, config);
  // alice and bob may push anywhere (src/access grants); force-unlocking needs more (maintain).
  for (const principal of [TOKENS['alice-token'], TOKENS['bob-token']]) {
    if (principal?.kind === 'user') await storage.access.setGrant('/', 'user', principal.userId, 'write');
  }
  const app = await buildAppServer(
    await buildApp(config, createLogger({ level: 'silent' }), createMetricsRegistry(), {
      storage,
      authenticate: async (token) => TOKENS[token] ?? null,
      repositories: testResolver,
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    scratch,
    app,
    async close() {
      await app.close();
      await scratch.drop();
    },
  };
}
