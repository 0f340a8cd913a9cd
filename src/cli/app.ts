import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { createLfsServices, type LfsServices } from '../lfs/lfs-services.js';
import { MegaDirectory } from '../monorepo/mega-directory.js';
import { MonorepoResolver } from '../monorepo/monorepo-resolver.js';
import type { RepositoryAdmin } from '../monorepo/repository-admin.js';
import { createRepositoryAdmin, monorepoDeps } from '../monorepo/storage-adapter.js';
import { listenUrl, publicBaseUrl, type MegaConfig } from '../platform/config.js';
import { loadDeploymentSecret, type DeploymentSecret } from '../platform/deployment-secret.js';
import { conflict } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Registry } from '../platform/metrics.js';
import type { ReadinessCheck } from '../platform/readiness.js';
import { CloneWalkRecorder } from '../repo/clone-walk-recorder.js';
import { CodeSearch } from '../repo/search/code-search.js';
import { SearchIndexer } from '../repo/search/search-indexer.js';
import { foregroundBegan, foregroundEnded, releaseHeapSoon } from '../platform/heap-release.js';
import { ForegroundWork } from '../platform/foreground-work.js';
import type { RepositoryResolver } from '../repo/served-repository.js';
import { createStoredRepositoryResolver } from '../repo/stored-repositories.js';
import { buildReviewServices, type ReviewServices } from '../review/review-services.js';
import type { DelivererOptions } from '../review/webhooks.js';
import { AllowedHosts } from '../review/webhooks/allowed-hosts.js';
import { PackCache } from '../storage/pack-cache.js';
import { openStorage, type Storage } from '../storage/storage.js';
import { redisPrefixOf, syncChannels } from '../sync/sync-bus.js';
import { startSyncRuntime, type SyncRuntime } from '../sync/sync-runtime.js';
import type { WebDeps } from '../web/deps.js';
import { AccessAdmin } from '../access/access-admin.js';
import { AccessPolicy } from '../access/access-policy.js';
import { PushGuard } from '../access/push-guard.js';
import type { Principal, TokenAuthenticator } from '../access/principal.js';
import { SCOPES } from '../access/roles.js';
import { buildServer } from '../web/server.js';
import { LfsSshTokens } from '../ssh/lfs-ssh-token.js';
import { SshKeyService } from '../ssh/ssh-key-service.js';
import { GithubPollScheduler } from '../github/github-poll-scheduler.js';
import { GithubReader } from '../github/github-reader.js';
import { GithubService } from '../github/github-service.js';
import { SecretBox } from '../platform/secret-box.js';

/**
 * The composition root: every service of the process is built here, once, from the
 * configuration. `mega serve` hands `App.web` to the HTTP layer, `mega worker` and the one-shot
 * commands use the narrower builders below. Nothing else constructs a service or a store.
 */
export interface App {
  readonly config: MegaConfig;
  readonly storage: Storage;
  /** The deployment secret and namespaces every process of the installation shares. */
  readonly installation: Installation;
  readonly services: DomainServices;
  readonly sync: SyncRuntime;
  /** What the HTTP layer receives: services only. */
  readonly web: WebDeps;
  /** Stops the sync runtime and the walk recorder, then closes storage when the app opened it. */
  close(): Promise<void>;
}

/** The domain services over opened storage (no background work, nothing to close). */
export interface DomainServices {
  /** Maps URL paths to served repositories: the Mega directory over stored repositories. */
  readonly repositories: RepositoryResolver;
  readonly directory: MegaDirectory;
  readonly repositoryAdmin: RepositoryAdmin;
  /** Merge requests and their review: discussions, approvals, checks, webhooks. */
  readonly review: ReviewServices;
  /** Who may do what where: grants, groups and path settings (`src/access`). */
  readonly access: AccessPolicy;
  /** Managing grants, path settings, protected branches and groups (CLI and REST). */
  readonly accessAdmin: AccessAdmin;
  /** Per-ref push rules (force-push, deletion, protected branches) in front of every push. */
  readonly pushGuard: PushGuard;
  /** A presented token → its user, from storage's hashed tokens. */
  readonly authenticate: TokenAuthenticator;
  /** Code search over every default branch, and the indexer keeping it current (docs/search.md). */
  readonly search: CodeSearch;
  readonly searchIndexer: SearchIndexer;
  /** Git requests (HTTP and SSH) in flight: the search indexer gives way to them. */
  readonly gitRequests: ForegroundWork;
}

export interface AppOptions {
  /** Storage opened by the caller (a test's scratch database); the caller closes it. */
  readonly storage?: Storage;
  /** Stand-ins for tests that serve fixed repositories or fixed tokens. */
  readonly repositories?: RepositoryResolver;
  readonly authenticate?: TokenAuthenticator;
  /** Client settings of the GitHub area (tests point it at a fake API). */
  readonly github?: ConstructorParameters<typeof GithubService>[0]['client'];
  /** Run the sync worker / scheduler in this process (`mega serve`); default: the service only. */
  readonly runSyncWorker?: boolean;
  readonly runSyncScheduler?: boolean;
  /** The webhook deliverer's retry and timing settings (tests shorten the backoff). */
  readonly webhookDelivery?: Partial<DelivererOptions>;
}

/** Opens storage (migrated) and logs where it is. */
export async function openAppStorage(config: MegaConfig, logger?: Logger): Promise<Storage> {
  const storage = await openStorage(config);
  logger?.debug({ database: storage.displayUrl }, 'storage open');
  return storage;
}

/** What every process of one installation shares: the deployment secret and the Redis namespace. */
export interface Installation {
  readonly id: string;
  readonly secret: DeploymentSecret;
  /** Prefix of the installation's Redis channels: `MEGA_REDIS_PREFIX`, else `mega:<id>`. */
  readonly redisPrefix: string;
}

/**
 * Loads the deployment secret and checks it against the installation's: the first process stores
 * the secret's fingerprint, every later one must match it, so servers and workers with different
 * keys (which could not read each other's credentials or LFS tokens) refuse to start instead.
 * Also reads (or, on first open, generates) the installation id.
 */
export async function openInstallation(
  storage: Storage,
  config: MegaConfig,
  logger?: Logger,
): Promise<Installation> {
  const secret = loadDeploymentSecret({
    secretKey: config.secretKey,
    secretKeyFile: config.secretKeyFile,
    dataDir: config.dataDir,
    onGenerated: (path) =>
      logger?.warn(
        { path },
        'generated the deployment secret (mode 0600); back it up, and give every process of a multi-server installation the same MEGA_SECRET_KEY',
      ),
  });
  const fingerprint = secret.fingerprint();
  if ((await storage.installation.claim('secret_fingerprint', fingerprint)) !== fingerprint) {
    throw conflict(
      'secret_key_mismatch',
      `the deployment secret (from ${secret.source}) is not the one this installation's database was set up with; give every server and worker the same MEGA_SECRET_KEY`,
    );
  }
  const id = await storage.installation.installationId();
  return { id, secret, redisPrefix: redisPrefixOf(id, config.redisPrefix) };
}

/** The Redis channel of an installation's sync jobs, as `mega init` reports it. */
export function installationChannel(installation: Installation): string {
  return syncChannels(installation.redisPrefix).jobs;
}

/** Where `remote:` links and merge request pages point outside a request: public URL or listen address. */
export function serverBaseUrl(config: MegaConfig): string {
  return publicBaseUrl(config.publicUrl, listenUrl(config));
}

/** The domain services over `storage`, for `mega serve` and the CLI commands alike. */
export function buildDomainServices(
  storage: Storage,
  config: MegaConfig,
  secret?: DeploymentSecret,
): DomainServices {
  const monorepo = monorepoDeps(storage, config);
  const baseUrl = () => serverBaseUrl(config);
  const review = buildReviewServices({ storage, monorepo, baseUrl, ...(secret ? { secret } : {}) });
  const sshLfsTokens = secret ? new LfsSshTokens(secret) : undefined;
  // A clone or push of a big repository leaves much garbage an idle server would keep: collected
  // once no git request is in flight.
  const gitRequests = new ForegroundWork({ onBegin: foregroundBegan, onEnd: foregroundEnded });
  return {
    repositories: new MonorepoResolver({
      ...monorepo,
      stored: createStoredRepositoryResolver(storage, {
        kindOf: (path) => (path.startsWith('/import/') ? 'import' : 'hosted'),
      }),
      proposals: review.mergeRequests,
      within: (scope) => monorepoDeps(scope, config),
    }),
    directory: new MegaDirectory(monorepo),
    repositoryAdmin: createRepositoryAdmin(storage, config),
    review,
    access: new AccessPolicy(storage.access, config),
    accessAdmin: new AccessAdmin({ access: storage.access, users: storage.users }),
    pushGuard: new PushGuard(storage.access, { protectDefaultBranch: config.git.protectDefaultBranch }),
    search: new CodeSearch(storage),
    searchIndexer: new SearchIndexer(storage, { yieldTo: gitRequests }),
    gitRequests,
    authenticate: async (token): Promise<Principal | null> => {
      // The short-lived LFS credential an SSH session handed out (`git-lfs-authenticate`).
      const grant = sshLfsTokens?.verify(token);
      if (grant) {
        const holder = await storage.users.findUserById(grant.userId);
        if (!holder) return null;
        return {
          kind: 'user',
          userId: holder.id,
          username: holder.username,
          isAdmin: holder.isAdmin && !grant.limit.granted,
          scopes: grant.limit.role === 'read' ? ['read'] : ['read', 'write'],
          limit: grant.limit,
        };
      }
      const user = await storage.users.authenticate(token);
      if (!user) return null;
      const scopes = SCOPES.filter((scope) => user.scopes.includes(scope));
      // An administrator acts as one only through a token with the admin scope.
      const isAdmin = user.isAdmin && scopes.includes('admin');
      return { kind: 'user', userId: user.id, username: user.username, isAdmin, scopes };
    },
  };
}

/** The GitHub area over `storage` (links, polls, webhooks, read views); nothing to close. */
export function buildGithub(
  storage: Storage,
  installation: Installation,
  logger: Logger,
  client?: AppOptions['github'],
): { service: GithubService; reader: GithubReader } {
  const service = new GithubService({
    storage,
    box: SecretBox.of(installation.secret),
    logger,
    ...(client ? { client } : {}),
  });
  return { service, reader: new GithubReader(storage, service) };
}

/** The sync area over `storage`: the service, and the worker/scheduler when asked for. */
export async function startSync(
  storage: Storage,
  config: MegaConfig,
  logger: Logger,
  options: {
    readonly metrics?: Registry;
    readonly runWorker?: boolean;
    readonly runScheduler?: boolean;
    /** Already opened by the caller (`buildApp`); else opened (and checked) here. */
    readonly installation?: Installation;
  } = {},
): Promise<SyncRuntime> {
  const installation = options.installation ?? (await openInstallation(storage, config, logger));
  return startSyncRuntime({
    config,
    storage,
    logger,
    secret: installation.secret,
    redisPrefix: installation.redisPrefix,
    ...(options.metrics ? { registry: options.metrics } : {}),
    runWorker: options.runWorker ?? false,
    runScheduler: options.runScheduler ?? false,
  });
}

/**
 * Readiness per dependency: the database answers, the data directory has room, Redis answers
 * when the sync bus uses it, and the process's sync worker (when it runs one, in `mega worker`
 * or `mega serve`) is subscribed to the bus.
 */
export function readinessOf(storage: Storage, sync: SyncRuntime): ReadinessCheck {
  return async () => {
    const bus = sync.bus.health ? sync.bus.health().then((state) => [state]) : Promise.resolve([]);
    const states = await Promise.all([storage.health.check(), bus]);
    const worker = sync.worker;
    if (worker) {
      states.push([
        worker.isReady()
          ? { name: 'worker', ok: true }
          : { name: 'worker', ok: false, message: 'the worker is not subscribed to the sync bus' },
      ]);
    }
    return states.flat();
  };
}

/** Opens storage and builds every service of the server once. */
export async function buildApp(
  config: MegaConfig,
  logger: Logger,
  metrics: Registry,
  options: AppOptions = {},
): Promise<App> {
  const storage = options.storage ?? (await openAppStorage(config, logger));
  const closes: Array<() => Promise<void>> = options.storage ? [] : [() => storage.close()];
  const close = async () => {
    for (const step of closes.reverse()) await step();
  };
  try {
    const installation = await openInstallation(storage, config, logger);
    const services = buildDomainServices(storage, config, installation.secret);
    const deliverer = services.review.webhooks.startDeliverer(
      { allowedHosts: new AllowedHosts(config.webhookAllowedHosts), ...options.webhookDelivery },
      (error) => logger.warn({ err: error }, 'webhook delivery failed'),
    );
    // After a push, the walks of the clones most likely to follow are recorded in the background.
    // It gives way to git requests once no clone waits for one of its walks.
    const walkRecorder = new CloneWalkRecorder(
      (error, path) => logger.warn({ err: error, path }, 'recording clone walks failed'),
      undefined,
      services.gitRequests,
    );
    // Pushes and merges announce moved branches: the search index follows default branches (and
    // the Mega directory's own files, which a new repository's b-link changes).
    services.review.events.subscribe(async (event) => {
      if (event.type !== 'push') return;
      // A clone right after the push waits for the push's walks being recorded: they go first.
      await walkRecorder.settled(event.repoPath);
      for (const path of new Set([event.repoPath, '/'])) {
        await services.searchIndexer
          .sync(path)
          .catch((error: unknown) => logger.warn({ err: error, path }, 'search indexing failed'));
      }
      // Indexing a whole branch leaves most of the heap it used as garbage (see heap-release).
      releaseHeapSoon();
    });
    // Events still being enqueued reach the queue before storage closes; then sends finish.
    closes.push(async () => {
      await services.review.events.settled();
      await deliverer.stop();
    });
    // Closed before the events settle: what it runs now lets waiting index updates go on.
    closes.push(() => walkRecorder.close());
    const lfs: LfsServices = await createLfsServices({
      store: storage.lfs,
      blobs: storage.lfsBlobs,
      secret: installation.secret,
      maxObjectBytes: config.limits.maxRequestBytes,
    });
    const packCache = new PackCache(config.dataDir, {
      maxBytes: config.clonePackCache.maxBytes,
      maxAgeMs: config.clonePackCache.maxAgeSeconds * 1000,
    });
    // Parts of packs a crashed server was writing are removed before this one serves.
    await packCache.removeLeftovers();
    const sync = await startSync(storage, config, logger, {
      metrics,
      runWorker: options.runSyncWorker ?? false,
      runScheduler: options.runSyncScheduler ?? false,
      installation,
    });
    closes.push(() => sync.close());
    const github = buildGithub(storage, installation, logger, options.github);
    if (options.runSyncScheduler) {
      // Polls run where scheduled syncs fire (`mega serve`), on the same slot leases.
      const poller = new GithubPollScheduler({
        service: github.service,
        leases: storage.sync.leases,
        logger,
        schedule: config.github.pollInterval,
        holderId: `server-${hostname()}-${process.pid}`,
      });
      if (poller.start()) closes.push(() => poller.stop());
    }
    return {
      config,
      storage,
      installation,
      services,
      sync,
      web: {
        config,
        logger,
        metrics,
        authenticate: options.authenticate ?? services.authenticate,
        access: services.access,
        accessAdmin: services.accessAdmin,
        pushGuard: services.pushGuard,
        repositories: options.repositories ?? services.repositories,
        repositoryAdmin: services.repositoryAdmin,
        review: services.review,
        users: storage.users,
        sshKeys: new SshKeyService(storage.ssh),
        lfs,
        sync: sync.service,
        packCache,
        walkRecorder,
        gitRequests: services.gitRequests,
        search: services.search,
        github,
        readiness: readinessOf(storage, sync),
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The HTTP server over the app's services; closing the server closes the app. */
export async function buildAppServer(app: App): Promise<FastifyInstance> {
  const server = await buildServer(app.web);
  server.addHook('onClose', () => app.close());
  return server;
}
