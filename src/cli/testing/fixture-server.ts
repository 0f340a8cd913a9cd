import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../platform/config.js';
import { notFound } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import { createMetricsRegistry } from '../../platform/metrics.js';
import type { BrowsableRepository } from '../../repo/browse/repository-browser.js';
import type { RepositoryResolver, ServedRepository } from '../../repo/served-repository.js';
import type { Storage } from '../../storage/storage.js';
import { buildApp, buildAppServer } from '../app.js';

/**
 * The app's server (`buildApp`) with a resolver that serves fixed repositories by path (read-only), over an in-memory SQLite
 * database (blob files in `dataDir`), for API tests. Tokens are the storage's access tokens.
 */
export async function buildFixtureServer(
  repositories: Readonly<Record<string, BrowsableRepository>>,
  dataDir: string,
  options: { anonymousRead?: boolean } = {},
): Promise<FastifyInstance> {
  return (await buildFixture(repositories, dataDir, options)).app;
}

export async function buildFixture(
  repositories: Readonly<Record<string, BrowsableRepository>>,
  dataDir: string,
  options: { anonymousRead?: boolean } = {},
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
  const built = await buildApp(
    { ...config, databaseUrl: 'sqlite::memory:' },
    createLogger({ level: 'silent' }),
    createMetricsRegistry(),
    { repositories: resolver },
  );
  return { app: await buildAppServer(built), storage: built.storage };
}
