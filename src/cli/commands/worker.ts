import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { createMetricsRegistry } from '../../platform/metrics.js';
import { createSyncBus } from '../../sync/sync-bus.js';
import { startWorkerHttp } from '../../sync/worker-http.js';
import { openAppStorage, readinessOf, startSync } from '../app.js';

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
      const logger = createLogger({
        level: config.logLevel,
        ...(config.logFormat ? { format: config.logFormat } : {}),
      });
      const registry = createMetricsRegistry();
      // Installed first: a SIGTERM while Redis is still awaited at start-up ends the wait.
      let stop: (() => Promise<void>) | undefined;
      let stopping = false;
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        (stop ?? (async () => undefined))().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: String(error) }, 'worker shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);

      const storage = await openAppStorage(config, logger);
      stop = () => storage.close();
      if (config.redisUrl && !(await waitForRedis(config.redisUrl, config.sync.redisRetryMs, () => stopping)))
        return;
      // A refused start (say, a configured worker id another process holds) is one line on stderr
      // from `main`; the database connections must not keep the process alive after it.
      const runtime = await startSync(storage, config, logger, { metrics: registry, runWorker: true }).catch(
        async (error: unknown) => {
          await storage.close();
          throw error;
        },
      );
      stop = async () => {
        await runtime.close();
        await storage.close();
      };
      const worker = runtime.worker;
      const http = await startWorkerHttp(
        {
          registry,
          readiness: readinessOf(storage, runtime),
          ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
        },
        options.host ?? '127.0.0.1',
        Number(options.port ?? 0),
      );
      stop = async () => {
        await http.close();
        await runtime.close();
        await storage.close();
      };
      if (stopping) return;
      process.stdout.write(`mega: worker ${worker?.workerId ?? ''} listening on ${http.url}\n`);
    });
}

/**
 * Waits until Redis answers, so a worker started before Redis comes up waits for it instead of
 * failing with a stack trace. One line on stderr when Redis is first found down and whenever the
 * reason changes (not one per attempt). False when the process is stopping meanwhile.
 */
async function waitForRedis(url: string, retryMs: number, stopping: () => boolean): Promise<boolean> {
  let lastReason: string | undefined;
  while (!stopping()) {
    // A fresh, silent connection per attempt: the bus's own connections log every reconnect.
    const probe = createSyncBus({ redisUrl: url, logger: createLogger({ level: 'silent' }) });
    const state = await probe.health!();
    await probe.close();
    if (state.ok) return true;
    const reason = (state.message ?? 'no answer').replace(/^redis is unavailable: /, '');
    if (reason !== lastReason) {
      process.stderr.write(
        `mega: redis at ${redisAddress(url)} is unavailable (${reason}); retrying every ${retryMs / 1000} s\n`,
      );
      lastReason = reason;
    }
    await sleep(retryMs);
  }
  return false;
}

/** The Redis URL without credentials, for messages. */
function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the configured url';
  }
}
