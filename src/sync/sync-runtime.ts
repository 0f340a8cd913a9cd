import { hostname } from 'node:os';
import type { MegaConfig } from '../platform/config.js';
import type { DeploymentSecret } from '../platform/deployment-secret.js';
import type { Logger } from '../platform/logger.js';
import { createMetricsRegistry, type Registry } from '../platform/metrics.js';
import type { Storage } from '../storage/storage.js';
import { CopyLayout } from './copy-paths.js';
import { CredentialVault } from './credential-vault.js';
import { GitRunner } from './git-runner.js';
import { SecretBox } from '../platform/secret-box.js';
import { createSyncBus, type SyncBus } from './sync-bus.js';
import { SyncMetrics } from './sync-metrics.js';
import { SyncScheduler } from './sync-scheduler.js';
import { SyncService } from './sync-service.js';
import { SyncWorker } from './sync-worker.js';
import { claimWorkerId } from './worker-identity.js';

/**
 * Wires the sync area for one process from its configuration: the service (REST, CLI), and
 * optionally a worker (`mega worker`, or inside `mega serve` unless --no-worker) and the scheduler
 * (`mega serve`). Without Redis the bus is in-process and workers also poll the durable requests
 * every few seconds, which is how a CLI trigger reaches a running server's worker.
 */
export interface SyncRuntime {
  readonly service: SyncService;
  readonly bus: SyncBus;
  readonly worker?: SyncWorker;
  readonly scheduler?: SyncScheduler;
  readonly metrics?: SyncMetrics;
  close(): Promise<void>;
}

export interface SyncRuntimeOptions {
  readonly config: MegaConfig;
  /** Storage: its sync stores, and transactions that also set a mirror's access rules. */
  readonly storage: Pick<Storage, 'sync' | 'transaction'>;
  readonly logger: Logger;
  /** The deployment secret: the credential key is derived from it. */
  readonly secret: DeploymentSecret;
  /** Namespace of every Redis channel of the bus (`<prefix>:sync:jobs`). */
  readonly redisPrefix: string;
  readonly registry?: Registry;
  readonly runWorker?: boolean;
  readonly runScheduler?: boolean;
}

/** Without a broadcast bus the worker's only news is the database: poll it this often at least. */
const LOCAL_RECONCILE_MS = 3_000;

export async function startSyncRuntime(options: SyncRuntimeOptions): Promise<SyncRuntime> {
  const { config, logger } = options;
  const vault = new CredentialVault(SecretBox.of(options.secret));
  const { storage } = options;
  const { config: configStore, runs: runStore, leases: leaseStore } = storage.sync;
  const resealed = await vault.resealLegacy(configStore, logger);
  if (resealed > 0) logger.info({ count: resealed }, 'sealed stored credentials with the derived key');
  const bus = createSyncBus({ redisUrl: config.redisUrl, logger, prefix: options.redisPrefix });
  const service = new SyncService({
    configStore,
    transaction: (work) =>
      storage.transaction((scope) => work({ config: scope.sync.config, access: scope.access })),
    runStore,
    vault,
    bus,
    logger,
    allowFileUrls: config.sync.allowFileUrls,
  });
  const stops: Array<() => Promise<void>> = [];
  let worker: SyncWorker | undefined;
  let metrics: SyncMetrics | undefined;
  let scheduler: SyncScheduler | undefined;
  try {
    if (options.runWorker) {
      const sync = config.sync;
      metrics = new SyncMetrics(options.registry ?? createMetricsRegistry({ defaultMetrics: false }));
      const identity = await claimWorkerId({
        dataDir: config.dataDir,
        baseDir: sync.repoBaseDir,
        configured: sync.workerId,
      });
      stops.push(() => identity.release());
      const { workerId } = identity;
      const runner = new GitRunner({
        timeoutMs: sync.commandTimeoutSeconds * 1000,
        passEnv: passEnvOf(config),
        allowFileProtocol: sync.allowFileUrls,
      });
      worker = new SyncWorker(
        {
          workerId,
          concurrency: sync.concurrency,
          retryAttempts: sync.retryAttempts,
          retryIntervalMs: sync.retryIntervalMs,
          reconcileIntervalMs: config.redisUrl
            ? sync.reconcileIntervalMs
            : Math.min(sync.reconcileIntervalMs, LOCAL_RECONCILE_MS),
          keepDays: sync.keepDays,
          group: sync.workerGroup,
          mirror:
            sync.mirrorServerUrl && sync.mirrorToken
              ? { serverUrl: sync.mirrorServerUrl, token: sync.mirrorToken }
              : undefined,
        },
        {
          runner,
          layout: new CopyLayout(sync.repoBaseDir),
          bus,
          configStore,
          runStore,
          leaseStore,
          vault,
          metrics,
          logger: logger.child({ workerId }),
        },
      );
      stops.push(() => runner.dispose());
      await worker.start();
      stops.push(() => (worker as SyncWorker).stop());
      logger.info(
        { workerId, baseDir: sync.repoBaseDir, bus: config.redisUrl ? 'redis' : 'in-process' },
        'sync worker started',
      );
    }
    if (options.runScheduler) {
      scheduler = new SyncScheduler({
        configStore,
        leaseStore,
        trigger: (tenantId, repositoryId) =>
          service.trigger(tenantId, repositoryId, { taskType: 'scheduled', operatorId: null }),
        logger,
        holderId: `server-${hostname()}-${process.pid}`,
        refreshIntervalMs: Math.min(config.sync.reconcileIntervalMs, 30_000),
      });
      await scheduler.start();
      stops.push(async () => (scheduler as SyncScheduler).stop());
    }
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    await bus.close();
    throw error;
  }
  return {
    service,
    bus,
    worker,
    scheduler,
    metrics,
    async close() {
      for (const stop of stops.reverse()) await stop();
      await bus.close();
    },
  };
}

function passEnvOf(config: MegaConfig): Record<string, string> {
  const env: Record<string, string> = {};
  const { httpProxy, httpsProxy, noProxy, sslCaInfo } = config.sync;
  if (httpProxy) env.HTTP_PROXY = httpProxy;
  if (httpsProxy) env.HTTPS_PROXY = httpsProxy;
  if (noProxy) env.NO_PROXY = noProxy;
  if (sslCaInfo) env.GIT_SSL_CAINFO = sslCaInfo;
  return env;
}
