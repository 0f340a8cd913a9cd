import type { Command } from 'commander';
import { loadConfig, type MegaConfig } from '../../platform/config.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createMetricsRegistry, type Registry } from '../../platform/metrics.js';
import { migrateToLatest } from '../../storage/migrations/migrator.js';
import { prepareDataDirectory } from '../../storage/data-directory.js';
import { openDatabase, type MegaDatabase } from '../../storage/open-database.js';
import { registerSyncRuntime, startSyncRuntime } from '../../sync/sync-runtime.js';
import { startWorkerHttp } from '../../sync/worker-http.js';

interface WorkerOptions {
  data?: string;
  config?: string;
  database?: string;
  host?: string;
  port?: string;
  group?: string;
}

/**
 * `mega worker`: a sync worker process (seed §1). Subscribes to the bus (Redis when
 * MEGA_REDIS_URL is set), reconciles missed requests from the database, and serves /healthz,
 * /readyz and /metrics on --port (0 picks a free one; printed on stdout).
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a repository sync worker')
    .option('--data <dir>', 'data directory (default ./data): worker id, secret key, copies')
    .option('--config <file>', 'JSON config file')
    .option('--database <url>', 'database URL (default MEGA_DATABASE_URL or sqlite:<data>/mega.db)')
    .option('--host <host>', 'interface of the health/metrics listener', '127.0.0.1')
    .option('--port <port>', 'port of the health/metrics listener (0 = any free port)', '0')
    .option('--group <name>', 'primary/standby group: one worker of the group syncs, the others stand by')
    .action(async (options: WorkerOptions) => {
      const config = loadConfig({
        configFile: options.config,
        overrides: {
          dataDir: options.data,
          databaseUrl: options.database,
          'sync.workerGroup': options.group,
        },
      });
      const logger = createLogger({ level: config.logLevel });
      const registry = createMetricsRegistry();
      await prepareDataDirectory(config.dataDir);
      const database = openDatabase(config.databaseUrl);
      await migrateToLatest(database);
      const runtime = await startSyncRuntime({ config, database, logger, registry, runWorker: true });
      const worker = runtime.worker;
      const http = await startWorkerHttp(
        {
          registry,
          isReady: async () => {
            await runtime.service.listTenants();
            return worker?.isReady() ?? false;
          },
        },
        options.host ?? '127.0.0.1',
        Number(options.port ?? 0),
      );
      process.stdout.write(`mega: worker ${worker?.workerId ?? ''} listening on ${http.url}\n`);
      let stopping = false;
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        const run = async () => {
          await http.close();
          await runtime.close();
          await database.close();
        };
        run().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: String(error) }, 'worker shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}

/**
 * `mega serve`'s sync runtime: the scheduler always, the in-process worker unless --no-worker
 * (`sync.runWorker`). Registered for the database so the REST routes publish on the same bus.
 */
export async function syncServeHook(ctx: {
  config: MegaConfig;
  logger: Logger;
  metrics: Registry;
  database: unknown;
}): Promise<() => Promise<void>> {
  const database = ctx.database as MegaDatabase;
  const runtime = await startSyncRuntime({
    config: ctx.config,
    database,
    logger: ctx.logger,
    registry: ctx.metrics,
    runWorker: ctx.config.sync.runWorker,
    runScheduler: true,
  });
  registerSyncRuntime(database, runtime);
  return () => runtime.close();
}
