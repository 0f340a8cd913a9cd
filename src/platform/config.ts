import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { invalid } from './errors.js';
import { fsckIgnoreProblem } from './fsck-message-ids.js';

/**
 * Process configuration, parsed once at start-up from (lowest to highest precedence) defaults,
 * an optional JSON config file (`MEGA_CONFIG` or `--config`), environment variables and CLI flags.
 * The parsed object is passed explicitly to every factory; nothing reads `process.env` later.
 */
const MiB = 1024 * 1024;

const ConfigSchema = z.object({
  /**
   * This process's working directory: the embedded SQLite database (when no URL is set), push
   * spools, the clone pack cache, worker id locks, sync copies and the generated secret key (when
   * none is configured). Git objects live in the database; LFS objects where `lfsStore` says.
   */
  dataDir: z.string().min(1).default('./data'),
  /** `sqlite:PATH`, `postgres://…` or `mysql://…`; default `sqlite:<dataDir>/mega.db`. */
  databaseUrl: z.string().optional(),
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8000),
  /**
   * Port of the built-in SSH server (git over SSH, docs/ssh.md); unset: no SSH. 0 picks a free one.
   * It listens on `sshHost`, else `host`.
   */
  sshPort: z.coerce.number().int().min(0).max(65535).optional(),
  sshHost: z.string().min(1).optional(),
  /** Public base URL used in messages (merge request links, LFS hrefs); derived from host:port when unset. */
  publicUrl: z.string().url().optional(),
  /**
   * Proxies whose `X-Forwarded-For`, `-Proto` and `-Host` headers are believed: a comma list of
   * addresses or CIDR ranges (`127.0.0.1,10.0.0.0/8`; `loopback`, `uniquelocal` name ranges).
   * Unset: none, the peer address and `Host` are the request's own.
   */
  trustProxy: z.string().min(1).optional(),
  /** Redis for the sync bus; unset = an in-process bus (`mega serve` runs a worker unless `--no-worker`). */
  redisUrl: z.string().optional(),
  /**
   * Namespace of every Redis channel (`<prefix>:sync:jobs`); unset = `mega:<installation id>`,
   * the id generated once and stored in the database, so installations sharing a Redis (any
   * database number: Pub/Sub ignores it) never see each other's jobs.
   */
  redisPrefix: z.string().min(1).optional(),
  /**
   * Where LFS object contents live: `file:DIR` (default `<dataDir>/lfs`), `db` (chunk rows) or
   * `s3://BUCKET[/PREFIX]?endpoint=URL&region=R` (docs/lfs-storage.md); checked when storage opens.
   */
  lfsStore: z.string().optional(),
  /**
   * The deployment secret: 32 bytes as hex or base64. The sync-credential and LFS transfer keys
   * are derived from it (HKDF); every server and worker of an installation must share it, and
   * one whose secret differs from the fingerprint in the database refuses to start. Unset:
   * `secretKeyFile`, else `<dataDir>/secret.key`, generated on first use (single node).
   */
  secretKey: z.string().optional(),
  /** When set, `/metrics` (server and worker) answers only `Authorization: Bearer <token>`. */
  metricsToken: z.string().min(16).optional(),
  /** A file holding the deployment secret (same format), e.g. a mounted container secret. */
  secretKeyFile: z.string().min(1).optional(),
  logLevel: z.string().default('info'),
  /** `json` or `lines` (readable); unset: lines when stderr is a terminal, JSON otherwise. */
  logFormat: z.enum(['json', 'lines']).optional(),
  anonymousRead: z.boolean().default(true),
  /** Largest expanded size of a directory clone (bytes), SPEC §6. */
  cloneLimit: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * MiB),
  /** Objects at least this big are stored in chunk rows (streamed) instead of one database row. */
  largeObjectThreshold: z.coerce
    .number()
    .int()
    .positive()
    .default(1 * MiB),
  /**
   * Free bytes the data directory's file system must keep: below it `/readyz` answers 503, so a
   * load balancer stops sending pushes before they fail half-way.
   */
  minFreeBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * MiB),
  /** Worker threads resolving the deltas of one pushed pack; each costs ~50 MB of memory. */
  ingestThreads: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * Pushed packs of at least this many objects are decoded (scan, inflate, SHA-1, deltas) on a
   * thread of their own, started for the pack and stopped after it, while the request's thread
   * checks and writes them (docs/scale.md, "The decode thread"); 0 turns it off (every pack on
   * the request's thread).
   */
  ingestDecodeThreadMinObjects: z.coerce.number().int().min(0).default(20_000),
  limits: z
    .object({
      maxRequestBytes: z.coerce
        .number()
        .int()
        .positive()
        .default(4096 * MiB),
      /**
       * Most bytes of a request's command section after gzip decoding: an upload-pack request
       * (v0 wants/haves, a v2 command and its arguments) or a push's command list and options,
       * never its pack. git http-backend's GIT_HTTP_MAX_REQUEST_BUFFER, same default.
       */
      maxCommandBytes: z.coerce
        .number()
        .int()
        .positive()
        .default(10 * MiB),
      /**
       * Most bytes of one object read for display (REST and web UI: blobs, commits, trees,
       * diffs). Bigger blobs are shown truncated (raw downloads stream them whole); bigger
       * commits, trees and tags are refused. Reads never inflate more than this.
       */
      maxDisplayBytes: z.coerce
        .number()
        .int()
        .positive()
        .default(5 * MiB),
      maxObjectsPerPush: z.coerce.number().int().positive().default(10_000_000),
      maxObjectBytes: z.coerce
        .number()
        .int()
        .positive()
        .default(2048 * MiB),
      /**
       * Largest commit, tree or tag a push may bring. These are parsed whole (fsck, walks), so
       * unlike blobs they cost their size in memory; real ones are kilobytes.
       */
      maxNonBlobBytes: z.coerce
        .number()
        .int()
        .positive()
        .default(64 * MiB),
      requestTimeoutMs: z.coerce
        .number()
        .int()
        .positive()
        .default(30 * 60_000),
    })
    .default({
      maxRequestBytes: 4096 * MiB,
      maxCommandBytes: 10 * MiB,
      maxDisplayBytes: 5 * MiB,
      maxObjectsPerPush: 10_000_000,
      maxObjectBytes: 2048 * MiB,
      maxNonBlobBytes: 64 * MiB,
      requestTimeoutMs: 30 * 60_000,
    }),
  /** Smart HTTP push rules (src/repo). */
  git: z
    .object({
      /** Refuse non-fast-forward updates and deletion of each repository's default branch. */
      protectDefaultBranch: z.boolean().default(true),
      /**
       * fsck message ids a push may carry anyway, like git's `receive.fsck.<id>=ignore` (for
       * legacy history, e.g. `missingEmail,badTimezone`). Every received object is checked with
       * git's fsck rules at --strict strength; unknown ids and fatal ones are refused here.
       */
      fsckIgnore: z
        .preprocess(
          (value) =>
            typeof value === 'string'
              ? value
                  .split(',')
                  .map((id) => id.trim())
                  .filter(Boolean)
              : value,
          z.array(z.string()),
        )
        .superRefine((ids, context) => {
          for (const id of ids) {
            const problem = fsckIgnoreProblem(id);
            if (problem) context.addIssue({ code: 'custom', message: problem });
          }
        })
        .default([]),
    })
    .default({ protectDefaultBranch: true, fsckIgnore: [] }),
  /** Packs of full clones kept on disk and reused (src/storage/pack-cache.ts). */
  clonePackCache: z
    .object({
      /** Disk budget in bytes; 0 turns the cache off. */
      maxBytes: z.coerce
        .number()
        .int()
        .min(0)
        .default(1024 * MiB),
      /** An entry unused this long is removed. */
      maxAgeSeconds: z.coerce.number().int().positive().default(600),
    })
    .default({ maxBytes: 1024 * MiB, maxAgeSeconds: 600 }),
  /**
   * Addresses webhook deliveries may go to (`src/review/webhooks/allowed-hosts.ts`): `external`
   * (public addresses, the default), `loopback`, `private`, `*`, address ranges and host names.
   */
  webhookAllowedHosts: z.string().max(4096).default('external'),
  /** GitHub issues and pull requests of /import repositories (src/github, docs/github.md). */
  github: z
    .object({
      /** MEGA_GITHUB_POLL_INTERVAL: `@every 10m`, a cron pattern (UTC) or `off`. */
      // `off` arrives as false: environment values that look boolean are parsed as booleans.
      pollInterval: z
        .preprocess((value) => (value === false ? 'off' : value), z.string().min(1).max(128))
        .default('@every 10m'),
    })
    .default({ pollInterval: '@every 10m' }),
  sync: z
    .object({
      /** GIT_REPO_BASE_DIR: root of the per-worker local copies. */
      repoBaseDir: z.string().optional(),
      /** GIT_REPO_KEEP_DAYS */
      keepDays: z.coerce.number().int().positive().default(7),
      /** GIT_COMMAND_TIMEOUT, seconds. */
      commandTimeoutSeconds: z.coerce.number().int().positive().default(300),
      concurrency: z.coerce.number().int().positive().default(2),
      retryAttempts: z.coerce.number().int().min(0).default(3),
      retryIntervalMs: z.coerce.number().int().min(0).default(10_000),
      reconcileIntervalMs: z.coerce.number().int().positive().default(60_000),
      /** How often `mega worker` retries a Redis that is down at start-up. */
      redisRetryMs: z.coerce.number().int().positive().default(2_000),
      runWorker: z.boolean().default(true),
      /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY handed to git (curl reads them). */
      httpProxy: z.string().optional(),
      httpsProxy: z.string().optional(),
      noProxy: z.string().optional(),
      /** GIT_SSL_CAINFO: extra CA bundle git trusts for HTTPS remotes. */
      sslCaInfo: z.string().optional(),
      /** Base URL of the Mega server that `mirror_to` pushes into, and the token used to push. */
      mirrorServerUrl: z.string().optional(),
      mirrorToken: z.string().optional(),
      /** Fixed worker id (`worker-{host}-{8 hex}`); default: generated once, kept in dataDir. */
      workerId: z.string().optional(),
      /** Allow file:// remotes (tests, local mirrors). Off by default: a tenant could read the worker's disk. */
      allowFileUrls: z.boolean().default(false),
      /** Primary/standby group of this worker (only one worker of a group syncs at a time). */
      workerGroup: z.string().min(1).max(100).optional(),
    })
    .default({
      keepDays: 7,
      commandTimeoutSeconds: 300,
      concurrency: 2,
      retryAttempts: 3,
      retryIntervalMs: 10_000,
      reconcileIntervalMs: 60_000,
      redisRetryMs: 2_000,
      runWorker: true,
      allowFileUrls: false,
    }),
});

export type MegaConfig = z.infer<typeof ConfigSchema> & {
  readonly databaseUrl: string;
  readonly sync: { repoBaseDir: string };
};

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable → config path. Names from the seed (GIT_REPO_*) are kept as they are. */
const ENV_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['MEGA_DATA_DIR', 'dataDir'],
  ['MEGA_DATABASE_URL', 'databaseUrl'],
  ['MEGA_HOST', 'host'],
  ['MEGA_PORT', 'port'],
  ['MEGA_SSH_PORT', 'sshPort'],
  ['MEGA_SSH_HOST', 'sshHost'],
  ['MEGA_PUBLIC_URL', 'publicUrl'],
  ['MEGA_TRUST_PROXY', 'trustProxy'],
  ['MEGA_REDIS_URL', 'redisUrl'],
  ['MEGA_SECRET_KEY', 'secretKey'],
  ['MEGA_SECRET_KEY_FILE', 'secretKeyFile'],
  ['MEGA_METRICS_TOKEN', 'metricsToken'],
  ['MEGA_WEBHOOK_ALLOWED_HOSTS', 'webhookAllowedHosts'],
  ['MEGA_REDIS_PREFIX', 'redisPrefix'],
  ['MEGA_LFS_STORE', 'lfsStore'],
  ['MEGA_LOG_LEVEL', 'logLevel'],
  ['MEGA_LOG_FORMAT', 'logFormat'],
  ['MEGA_ANONYMOUS_READ', 'anonymousRead'],
  ['MEGA_CLONE_LIMIT', 'cloneLimit'],
  ['MEGA_LARGE_OBJECT_THRESHOLD', 'largeObjectThreshold'],
  ['MEGA_INGEST_THREADS', 'ingestThreads'],
  ['MEGA_INGEST_DECODE_THREAD_MIN_OBJECTS', 'ingestDecodeThreadMinObjects'],
  ['MEGA_MIN_FREE_BYTES', 'minFreeBytes'],
  ['MEGA_MAX_REQUEST_BYTES', 'limits.maxRequestBytes'],
  ['MEGA_MAX_COMMAND_BYTES', 'limits.maxCommandBytes'],
  ['MEGA_MAX_DISPLAY_BYTES', 'limits.maxDisplayBytes'],
  ['MEGA_MAX_OBJECTS_PER_PUSH', 'limits.maxObjectsPerPush'],
  ['MEGA_MAX_OBJECT_BYTES', 'limits.maxObjectBytes'],
  ['MEGA_MAX_NON_BLOB_BYTES', 'limits.maxNonBlobBytes'],
  ['MEGA_REQUEST_TIMEOUT_MS', 'limits.requestTimeoutMs'],
  ['MEGA_PROTECT_DEFAULT_BRANCH', 'git.protectDefaultBranch'],
  ['MEGA_FSCK_IGNORE', 'git.fsckIgnore'],
  ['MEGA_CLONE_PACK_CACHE_BYTES', 'clonePackCache.maxBytes'],
  ['MEGA_CLONE_PACK_CACHE_MAX_AGE_SECONDS', 'clonePackCache.maxAgeSeconds'],
  ['MEGA_GITHUB_POLL_INTERVAL', 'github.pollInterval'],
  ['GIT_REPO_BASE_DIR', 'sync.repoBaseDir'],
  ['GIT_REPO_KEEP_DAYS', 'sync.keepDays'],
  ['GIT_COMMAND_TIMEOUT', 'sync.commandTimeoutSeconds'],
  ['MEGA_WORKER_CONCURRENCY', 'sync.concurrency'],
  ['MEGA_SYNC_RETRY_ATTEMPTS', 'sync.retryAttempts'],
  ['MEGA_SYNC_RETRY_INTERVAL_MS', 'sync.retryIntervalMs'],
  ['MEGA_SYNC_RECONCILE_INTERVAL_MS', 'sync.reconcileIntervalMs'],
  ['MEGA_WORKER_REDIS_RETRY_MS', 'sync.redisRetryMs'],
  ['HTTP_PROXY', 'sync.httpProxy'],
  ['HTTPS_PROXY', 'sync.httpsProxy'],
  ['NO_PROXY', 'sync.noProxy'],
  ['GIT_SSL_CAINFO', 'sync.sslCaInfo'],
  ['MEGA_SYNC_MIRROR_URL', 'sync.mirrorServerUrl'],
  ['MEGA_SYNC_MIRROR_TOKEN', 'sync.mirrorToken'],
  ['MEGA_WORKER_ID', 'sync.workerId'],
  ['MEGA_SYNC_ALLOW_FILE_URLS', 'sync.allowFileUrls'],
  ['MEGA_WORKER_GROUP', 'sync.workerGroup'],
  ['MEGA_SYNC_RUN_WORKER', 'sync.runWorker'],
];

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    node[key] = typeof child === 'object' && child !== null ? child : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function parseBooleanish(value: string): unknown {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  return value;
}

export interface LoadConfigOptions {
  readonly env?: Env;
  /** Values from CLI flags, as config paths (`dataDir`, `sync.concurrency`, …). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  readonly configFile?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): MegaConfig {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const configFile = options.configFile ?? env.MEGA_CONFIG;
  if (configFile) {
    try {
      Object.assign(raw, JSON.parse(readFileSync(configFile, 'utf8')));
    } catch (error) {
      throw invalid('config_file_unreadable', `cannot read config file ${configFile}`, {
        cause: String(error),
      });
    }
  }
  for (const [name, path] of ENV_KEYS) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, parseBooleanish(value));
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, path, value);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid('config_invalid', 'invalid configuration', {
      issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  const dataDir = resolve(parsed.data.dataDir);
  return {
    ...parsed.data,
    dataDir,
    databaseUrl: parsed.data.databaseUrl ?? `sqlite:${resolve(dataDir, 'mega.db')}`,
    sync: {
      ...parsed.data.sync,
      repoBaseDir: resolve(parsed.data.sync.repoBaseDir ?? resolve(dataDir, 'repos')),
    },
  };
}

/**
 * Where clients reach this server, without a trailing slash: the configured public URL, else
 * `fallback` (the origin a request came to, or the listen address for the CLI). The one place
 * links (merge request pages, LFS hrefs, push messages) take their base from.
 */
export function publicBaseUrl(publicUrl: string | undefined, fallback: string): string {
  return (publicUrl ? publicUrl : fallback).replace(/\/+$/, '');
}

/** The listen address as a URL (`http://127.0.0.1:8000`, IPv6 hosts bracketed). */
export function listenUrl(config: Pick<MegaConfig, 'host' | 'port'>): string {
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
}
