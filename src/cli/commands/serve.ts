import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadConfig, publicBaseUrl } from '../../platform/config.js';
import { MegaError } from '../../platform/errors.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { createMetricsRegistry } from '../../platform/metrics.js';
import { buildApp, buildAppServer, type App } from '../app.js';
import type { SshServer } from '../../ssh/ssh-server.js';

interface ServeOptions {
  host?: string;
  port?: string;
  sshPort?: string;
  sshHost?: string;
  data?: string;
  config?: string;
  worker: boolean;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP server (smart HTTP, LFS, REST API, UI) and, with --ssh-port, git over SSH')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default 8000)')
    .option('--ssh-port <port>', 'also serve git over SSH on this port; 0 picks a free one (default: no SSH)')
    .option('--ssh-host <host>', 'interface the SSH server listens on (default: --host)')
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
      sshPort: options.sshPort,
      sshHost: options.sshHost,
      dataDir: options.data,
      'sync.runWorker': options.worker ? undefined : false,
    },
  });
  const logger = createLogger({
    level: config.logLevel,
    ...(config.logFormat ? { format: config.logFormat } : {}),
  });
  const app = await buildApp(config, logger, createMetricsRegistry(), {
    runSyncWorker: config.sync.runWorker,
    runSyncScheduler: true,
  });
  try {
    await startMonorepo(app, logger);
  } catch (error) {
    await app.close();
    throw error;
  }
  const server = await buildAppServer(app);
  let ssh: SshServer | undefined;
  // Before the app (and storage) closes: SSH sessions end while their services still work.
  server.addHook('preClose', async () => {
    await ssh?.close();
  });
  try {
    await server.listen({ host: config.host, port: config.port });
  } catch (error) {
    await server.close();
    throw listenFailure(config.host, config.port, error);
  }
  const url = listeningUrl(server, config.host);
  if (config.sshPort !== undefined) {
    const host = config.sshHost ?? config.host;
    try {
      // Loaded only here: ssh2 reserves WebAssembly memory (~16 MB) as soon as it is imported.
      const { startSsh } = await import('../ssh-runtime.js');
      ssh = await startSsh(app, logger, publicBaseUrl(config.publicUrl, url), host, config.sshPort);
    } catch (error) {
      await server.close();
      throw listenFailure(host, config.sshPort, error);
    }
    process.stdout.write(
      `mega: ssh listening on ssh://${host.includes(':') ? `[${host}]` : host}:${ssh.port}\n`,
    );
  }
  process.stdout.write(`mega: listening on ${url}\n`);
  installShutdown(server, logger);
}

/**
 * Before serving: an empty data directory gets its Mega directory by itself, and repositories
 * half-created by first pushes of older versions, which block their path, are removed.
 */
async function startMonorepo(app: App, logger: Logger): Promise<void> {
  const result = await app.services.directory.init();
  if (result.created) logger.info({ commit: result.commit }, 'initialised the Mega directory');
  const repaired = await app.services.repositoryAdmin.repair();
  for (const path of repaired.removed) logger.warn({ path }, 'removed a half-created repository');
  if (repaired.abandonedPushes > 0)
    logger.info({ count: repaired.abandonedPushes }, 'removed abandoned first pushes');
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

/** Closing the server closes the app (sync runtime, storage) through its onClose hook. */
function installShutdown(app: FastifyInstance, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
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
