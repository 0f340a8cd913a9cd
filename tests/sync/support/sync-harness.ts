import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../../support/git-cli.js';
import { makeTempDir } from '../../support/temp-dir.js';
import { loadConfig, type MegaConfig } from '../../../src/platform/config.js';
import { createLogger, type Logger } from '../../../src/platform/logger.js';
import { createMetricsRegistry } from '../../../src/platform/metrics.js';
import { migrateToLatest } from '../../../src/storage/migrations/migrator.js';
import { openDatabase, type MegaDatabase } from '../../../src/storage/open-database.js';
import { createStorage } from '../../../src/storage/storage.js';
import { startSyncRuntime, type SyncRuntime } from '../../../src/sync/sync-runtime.js';
import { openInstallation, type Installation } from '../../../src/cli/app.js';

/** A SQLite-backed sync runtime with an in-process worker, in a temp data dir. */
export interface Harness {
  readonly dir: string;
  readonly config: MegaConfig;
  readonly database: MegaDatabase;
  readonly runtime: SyncRuntime;
  /** The installation's secret and Redis prefix, as `mega serve` and `mega worker` open them. */
  readonly installation: Installation;
  readonly tenantId: number;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  options: { databaseUrl?: string; dataDir?: string; logger?: Logger } = {},
): Promise<Harness> {
  const temp = await makeTempDir('mega-sync-');
  const dataDir = options.dataDir ?? join(temp.path, 'data');
  const config = loadConfig({
    env: {
      MEGA_DATA_DIR: dataDir,
      MEGA_SYNC_RETRY_INTERVAL_MS: '50',
      MEGA_SYNC_ALLOW_FILE_URLS: 'true',
      MEGA_SYNC_RECONCILE_INTERVAL_MS: '3600000',
      GIT_COMMAND_TIMEOUT: '60',
      ...(options.databaseUrl ? { MEGA_DATABASE_URL: options.databaseUrl } : {}),
      ...env,
    },
  });
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  const storage = createStorage(database, config);
  const installation = await openInstallation(storage, config);
  const runtime = await startSyncRuntime({
    config,
    storage,
    secret: installation.secret,
    redisPrefix: installation.redisPrefix,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    registry: createMetricsRegistry({ defaultMetrics: false }),
    runWorker: true,
  });
  const tenant = await runtime.service.createTenant(
    `t-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  );
  return {
    dir: temp.path,
    config,
    database,
    runtime,
    installation,
    tenantId: tenant.id,
    async close() {
      await runtime.close();
      await database.close();
      await temp.remove();
    },
  };
}

/** A non-bare upstream repository with `commits` commits on `main`. */
export async function makeUpstream(dir: string, commits = 2, branch = 'main'): Promise<string> {
  const path = join(dir, `upstream-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(path, { recursive: true });
  await git(['init', '-q', '-b', branch, path]);
  for (let i = 0; i < commits; i += 1) {
    await writeFile(join(path, 'file.txt'), `content ${i}\n`);
    await git(['-C', path, 'add', 'file.txt']);
    await git(['-C', path, 'commit', '-q', '-m', `commit ${i}`]);
  }
  return path;
}

export async function headOf(repo: string, ref = 'HEAD'): Promise<string> {
  return (await git(['-C', repo, 'rev-parse', ref])).stdout.toString().trim();
}

type RepoFields = Parameters<SyncRuntime['service']['createRepository']>[1];

/** Registers a repository with defaults for every option not given. */
export async function addRepo(
  h: Harness,
  fields: Partial<RepoFields> & { name: string; url: string },
): Promise<number> {
  const repo = await h.runtime.service.createRepository(h.tenantId, {
    branch: 'main',
    branches: [],
    is_public: false,
    credential_id: null,
    schedule: null,
    depth: null,
    filter: null,
    lfs: false,
    submodules: false,
    strict_host_key: true,
    mirror_to: null,
    ...fields,
  });
  return repo.id;
}

/** Triggers a manual sync on the harness worker and returns its log row once finished. */
export async function syncAndWait(h: Harness, repositoryId: number, operatorId = 1) {
  const requestId = await h.runtime.service.trigger(h.tenantId, repositoryId, {
    taskType: 'manual',
    operatorId,
  });
  await h.runtime.worker?.idle();
  const rows = await h.runtime.service.listLogs({ tenantId: h.tenantId, repositoryId }, { limit: 1 });
  const row = rows[0];
  if (!row || row.request_id !== requestId) throw new Error('no log row for the request');
  return row;
}

/** A bare copy of `upstream` at `<root>/<name>.git`, as a git server serves it. */
export async function publishBare(upstream: string, root: string, name: string): Promise<string> {
  const bare = join(root, `${name}.git`);
  await git(['clone', '-q', '--bare', upstream, bare]);
  return bare;
}
