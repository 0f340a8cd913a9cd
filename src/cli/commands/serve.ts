import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type MegaConfig } from '../../platform/config.js';
import { MegaError } from '../../platform/errors.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createMetricsRegistry, type Registry } from '../../platform/metrics.js';
import type { RepositoryResolver } from '../../repo/served-repository.js';
import type { RepositoryAdmin } from '../../monorepo/repository-admin.js';
import { createRepositoryAdmin } from '../../monorepo/storage-adapter.js';
import type { MegaDatabase } from '../../storage/open-database.js';
import { openStorage, type Storage } from '../../storage/storage.js';
import { StorageHealth } from '../../storage/storage-health.js';
import type { ReadinessCheck } from '../../platform/readiness.js';
import type { TokenAuthenticator } from '../../web/principal.js';
import { buildServer } from '../../web/server.js';
import { createDirectoryResolver, monorepoServeHook } from './init.js';
import { syncServeHook } from './worker.js';
import { syncRuntimeOf } from '../../sync/sync-runtime.js';

/** What a start-up hook gets: the configured process, before the server listens. */
export interface ServeContext {
  readonly config: MegaConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly database: MegaDatabase;
  readonly storage: Storage;
}

/** A hook may return a stop function, called (in reverse order) on shutdown. */
export type ServeHook = (ctx: ServeContext) => Promise<(() => Promise<void>) | void>;

/**
 * Where other areas start their runtime inside `mega serve`, one line each (e.g. the sync area's
 * in-process worker, the monorepo area's `mega init` on an empty data dir). Run in order, after
 * migrations and before listening.
 */
export const SERVE_HOOKS: ReadonlyArray<readonly [name: string, hook: ServeHook]> = [
  ['monorepo', monorepoServeHook],
  ['sync', syncServeHook],
];

interface ServeOptions {
  host?: string;
  port?: string;
  data?: string;
  config?: string;
  worker: boolean;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP server (smart HTTP, LFS, REST API, UI)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default 8000)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .option('--no-worker', 'do not run the in-process sync worker')
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

async function serve(options: ServeOptions): Promise<void> {
  const config = loadConfig({
    configFile: options.config,
    overrides: {
      host: options.host,
      port: options.port,
      dataDir: options.data,
      'sync.runWorker': options.worker ? undefined : false,
    },
  });
  const logger = createLogger({ level: config.logLevel });
  const metrics = createMetricsRegistry();
  const runtime = await openRuntime(config, logger);
  const context: ServeContext = {
    config,
    logger,
    metrics,
    database: runtime.storage.database,
    storage: runtime.storage,
  };
  const stops: Array<() => Promise<void>> = [runtime.close];
  for (const [name, hook] of SERVE_HOOKS) {
    logger.debug({ hook: name }, 'starting');
    const stop = await hook(context);
    if (stop) stops.push(stop);
  }
  const app = await buildServer({ ...context, ...runtime.web });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    for (const stop of [...stops].reverse()) await stop();
    throw listenFailure(config.host, config.port, error);
  }
  process.stdout.write(`mega: listening on ${listeningUrl(app, config.host)}\n`);
  installShutdown(app, stops, logger);
}

interface Runtime {
  readonly storage: Storage;
  readonly web: {
    authenticate: TokenAuthenticator;
    repositories: RepositoryResolver;
    repositoryAdmin: RepositoryAdmin;
    readiness: ReadinessCheck;
  };
  readonly close: () => Promise<void>;
}

/**
 * Opens storage and runs migrations; the web layer's token check, repository resolver and
 * readiness check (the database answers a query, the data directory has free space).
 */
async function openRuntime(config: MegaConfig, logger: Logger): Promise<Runtime> {
  const storage = await openStorage(config);
  logger.debug({ database: storage.database.displayUrl }, 'storage open');
  const health = new StorageHealth(storage.database, {
    dataDir: config.dataDir,
    minFreeBytes: config.minFreeBytes,
  });
  return {
    storage,
    web: {
      authenticate: async (token) => {
        const user = await storage.users.authenticate(token);
        return user
          ? { kind: 'user', userId: user.id, username: user.username, isAdmin: user.isAdmin }
          : null;
      },
      repositories: createDirectoryResolver(storage, config),
      repositoryAdmin: createRepositoryAdmin(storage, config),
      readiness: async () => {
        // The sync bus registers itself once the serve hooks ran; Redis is a dependency when used.
        const bus = syncRuntimeOf(storage.database)?.bus;
        const states = await Promise.all([health.check(), bus?.health ? bus.health().then((s) => [s]) : []]);
        return states.flat();
      },
    },
    close: () => storage.close(),
  };
}

/** Why listening failed, in one line (`mega: cannot listen on 127.0.0.1:8000: address already in use`). */
function listenFailure(host: string, port: number, error: unknown): MegaError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied (ports below 1024 need privileges)',
    EADDRNOTAVAIL: 'no such address on this host',
  };
  const reason = reasons[code] ?? (error instanceof Error ? error.message : String(error));
  return new MegaError(
    'unavailable',
    'listen_failed',
    `cannot listen on ${host}:${port}: ${reason} (${code})`,
    {},
    {
      cause: error,
    },
  );
}

function listeningUrl(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${port}`;
}

function installShutdown(app: FastifyInstance, stops: Array<() => Promise<void>>, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const run = async () => {
      await app.close();
      for (const stop of [...stops].reverse()) await stop();
    };
    run().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
