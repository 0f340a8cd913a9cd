import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../platform/config.js';
import { notFound } from '../../../platform/errors.js';
import { createLogger } from '../../../platform/logger.js';
import { createMetricsRegistry } from '../../../platform/metrics.js';
import type { BrowsableRepository } from '../../../repo/browse/repository-browser.js';
import type { RepositoryResolver, ServedRepository } from '../../../repo/served-repository.js';
import { migrateToLatest } from '../../../storage/migrations/migrator.js';
import { openDatabase } from '../../../storage/open-database.js';
import type { Principal } from '../../principal.js';
import { buildServer } from '../../server.js';

/**
 * A server whose resolver serves fixed repositories by path (read-only), over an in-memory SQLite
 * database, for API tests. `tokens` maps a bearer token to its user.
 */
export async function buildFixtureServer(
  repositories: Readonly<Record<string, BrowsableRepository>>,
  options: { anonymousRead?: boolean; tokens?: Readonly<Record<string, Principal>> } = {},
): Promise<FastifyInstance> {
  const resolver: RepositoryResolver = {
    resolve: async (path) => {
      const repository = repositories[path];
      if (!repository) throw notFound('repository_not_found', 'repository not found', { path });
      return { ...repository, path, exists: true, writable: false } as unknown as ServedRepository;
    },
  };
  const database = openDatabase('sqlite::memory:');
  await migrateToLatest(database);
  const app = await buildServer({
    config: loadConfig({ env: {}, overrides: { anonymousRead: options.anonymousRead ?? true } }),
    logger: createLogger({ level: 'silent' }),
    metrics: createMetricsRegistry(),
    database,
    authenticate: async (token) => options.tokens?.[token] ?? null,
    repositories: resolver,
  });
  app.addHook('onClose', async () => database.close());
  return app;
}
