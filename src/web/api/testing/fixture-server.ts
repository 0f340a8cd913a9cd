import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../platform/config.js';
import { notFound } from '../../../platform/errors.js';
import { createLogger } from '../../../platform/logger.js';
import { createMetricsRegistry } from '../../../platform/metrics.js';
import type { RepositoryAdmin } from '../../../monorepo/repository-admin.js';
import type { BrowsableRepository } from '../../../repo/browse/repository-browser.js';
import type { RepositoryResolver, ServedRepository } from '../../../repo/served-repository.js';
import { openStorage, type Storage } from '../../../storage/storage.js';
import type { Principal } from '../../principal.js';
import { buildServer } from '../../server.js';

/**
 * A server whose resolver serves fixed repositories by path (read-only), over an in-memory SQLite
 * database (blob files in `dataDir`), for API tests. Tokens are the storage's access tokens.
 */
export async function buildFixtureServer(
  repositories: Readonly<Record<string, BrowsableRepository>>,
  dataDir: string,
  options: { anonymousRead?: boolean; repositoryAdmin?: RepositoryAdmin } = {},
): Promise<FastifyInstance> {
  return (await buildFixture(repositories, dataDir, options)).app;
}

export async function buildFixture(
  repositories: Readonly<Record<string, BrowsableRepository>>,
  dataDir: string,
  options: { anonymousRead?: boolean; repositoryAdmin?: RepositoryAdmin } = {},
): Promise<{ app: FastifyInstance; storage: Storage }> {
  const resolver: RepositoryResolver = {
    resolve: async (path) => {
      const repository = repositories[path];
      if (!repository) throw notFound('repository_not_found', 'repository not found', { path });
      return { ...repository, path, exists: true, writable: false } as unknown as ServedRepository;
    },
  };
  const config = loadConfig({
    env: {},
    overrides: { anonymousRead: options.anonymousRead ?? true, dataDir },
  });
  const storage = await openStorage({ ...config, databaseUrl: 'sqlite::memory:' });
  const app = await buildServer({
    config,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetricsRegistry(),
    database: storage.database,
    storage,
    authenticate: async (token): Promise<Principal | null> => {
      const user = await storage.users.authenticate(token);
      return user ? { kind: 'user', userId: user.id, username: user.username, isAdmin: user.isAdmin } : null;
    },
    repositories: resolver,
    ...(options.repositoryAdmin ? { repositoryAdmin: options.repositoryAdmin } : {}),
  });
  app.addHook('onClose', async () => storage.close());
  return { app, storage };
}
