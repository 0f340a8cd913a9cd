import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { CredentialInput, RepositoryInput, TenantInput } from '../../sync/sync-inputs.js';
import { openAppStorage, startSync } from '../app.js';
import type { SyncService } from '../../sync/sync-service.js';

interface CommonOptions {
  data?: string;
  config?: string;
  database?: string;
}

/**
 * `mega sync …`: register tenants, credentials and repositories, trigger syncs and read logs,
 * against the same data directory or database as the server. Ids are printed on stdout alone.
 * Secrets are read from stdin, never from arguments (which every local user can read in /proc).
 */
export function registerSyncCommand(program: Command): void {
  const sync = program
    .command('sync')
    .description('repository sync workers: credentials, repositories, triggers, logs');
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file')
      .option('--database <url>', 'database URL');

  common(
    sync
      .command('tenant')
      .description('tenants')
      .command('add <name>')
      .description('create a tenant; prints its id'),
  ).action(async (name: string, options: CommonOptions) =>
    withService(options, async (service) => {
      const tenant = await service.createTenant(parse(TenantInput, { name }).name);
      print(tenant.id);
    }),
  );

  const credential = sync.command('credential').description('credentials (secrets are write-only)');
  common(
    credential
      .command('add')
      .description(
        'store a credential; the secret (password, token or private key) is read from stdin; prints its id',
      )
      .requiredOption('--tenant <tenant>', 'tenant id or name')
      .requiredOption('--type <type>', 'password | token | ssh_key')
      .option('--name <name>', 'a label unique in the tenant (default: type and time)')
      .option('--username <user>', 'user name (required for password)')
      .option('--known-host <line>', 'the server host key (known_hosts line or "type key") for ssh_key')
      .option('--known-host-file <file>', 'read the known host key(s) from a file'),
  ).action(
    async (
      options: CommonOptions & {
        tenant: string;
        type: string;
        name?: string;
        username?: string;
        knownHost?: string;
        knownHostFile?: string;
      },
    ) =>
      withService(options, async (service) => {
        const tenant = await service.tenant(tenantRef(options.tenant));
        const secret = readFileSync(0, 'utf8');
        const input = parse(CredentialInput, {
          name: options.name ?? `${options.type}-${Date.now()}`,
          type: options.type,
          username: options.username ?? null,
          secret: options.type === 'ssh_key' ? secret : secret.replace(/\r?\n$/, ''),
          known_host: options.knownHostFile
            ? readFileSync(options.knownHostFile, 'utf8')
            : (options.knownHost ?? null),
        });
        print((await service.addCredential(tenant.id, input)).id);
      }),
  );

  const repo = sync.command('repo').description('sync repositories');
  common(
    repo
      .command('add')
      .description('register a repository; prints its id')
      .requiredOption('--tenant <tenant>', 'tenant id or name')
      .requiredOption('--name <name>', 'repository name')
      .requiredOption('--url <url>', 'remote url (https, ssh, git, file); never with credentials in it')
      .option('--branch <branch>', 'branch to check out', 'main')
      .option('--branches <list>', 'further branches to keep, comma-separated')
      .option('--credential <id>', 'credential id')
      .option('--schedule <cron>', 'cron pattern (UTC) or "@every 10m"')
      .option('--depth <n>', 'shallow sync depth')
      .option('--filter <spec>', 'partial clone filter, e.g. blob:none')
      .option('--lfs', 'fetch Git LFS objects')
      .option('--submodules', 'check out submodules')
      .option('--public', 'mark as public')
      .option('--no-strict-host-key', 'accept an unknown SSH host key (not recommended)')
      .option('--mirror-to <path>', 'also push a mirror to this path under /import of the server'),
  ).action(async (options: CommonOptions & Record<string, string | boolean | undefined>) =>
    withService(options, async (service) => {
      const tenant = await service.tenant(tenantRef(String(options.tenant)));
      const input = parse(RepositoryInput, {
        name: options.name,
        url: options.url,
        branch: options.branch,
        branches: typeof options.branches === 'string' ? options.branches.split(',').filter(Boolean) : [],
        is_public: options.public === true,
        credential_id:
          options.credential === undefined ? null : positiveInt(String(options.credential), '--credential'),
        schedule: options.schedule ?? null,
        depth: options.depth === undefined ? null : positiveInt(String(options.depth), '--depth'),
        filter: options.filter ?? null,
        lfs: options.lfs === true,
        submodules: options.submodules === true,
        strict_host_key: options.strictHostKey !== false,
        mirror_to: options.mirrorTo ?? null,
      });
      print((await service.createRepository(tenant.id, input)).id);
    }),
  );
  common(
    repo.command('delete <id>').description('unregister a repository; every worker removes its copies'),
  ).action(async (id: string, options: CommonOptions) =>
    withService(options, async (service) => {
      const repositoryId = positiveInt(id, 'id');
      print(
        await service.deleteRepository(await service.tenantOfRepository(repositoryId), repositoryId, null),
      );
    }),
  );

  common(
    sync
      .command('trigger <id>')
      .description('request a sync of a repository on every worker; prints the request id'),
  ).action(async (id: string, options: CommonOptions) =>
    withService(options, async (service) => {
      const repositoryId = positiveInt(id, 'id');
      const tenantId = await service.tenantOfRepository(repositoryId);
      print(await service.trigger(tenantId, repositoryId, { taskType: 'manual', operatorId: null }));
    }),
  );

  common(
    sync
      .command('logs <id>')
      .description('sync log of a repository, newest first')
      .option('--json', 'one JSON object per row, with the seed field names')
      .option('--limit <n>', 'rows to show', '50'),
  ).action(async (id: string, options: CommonOptions & { json?: boolean; limit: string }) =>
    withService(options, async (service) => {
      const repositoryId = positiveInt(id, 'id');
      const tenantId = await service.tenantOfRepository(repositoryId);
      const rows = await service.listLogs(
        { tenantId, repositoryId },
        { limit: Math.min(positiveInt(options.limit, '--limit'), 1000) },
      );
      for (const row of rows) {
        const view = logView(row);
        process.stdout.write(
          options.json
            ? `${JSON.stringify(view)}\n`
            : `${row.id}\t${row.started_at}\t${row.status}\t${row.task_type}\t${view.duration ?? '-'}s\t${row.worker_id}\t${row.error_class ?? ''}\t${row.local_path ?? row.error_message ?? ''}\n`,
        );
      }
    }),
  );
}

/** A log row with the seed's field names (§8.1): `duration` in seconds. */
export function logView(row: SyncLogRow) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    repository_id: row.repository_id,
    request_id: row.request_id,
    worker_id: row.worker_id,
    task_type: row.task_type,
    operator_id: row.operator_id,
    status: row.status,
    duration: row.duration_ms === null ? null : row.duration_ms / 1000,
    local_path: row.local_path,
    command_output: row.command_output,
    error_message: row.error_message,
    error_class: row.error_class,
    attempts: row.attempts,
    from_commit: row.from_commit,
    to_commit: row.to_commit,
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

async function withService(
  options: CommonOptions,
  work: (service: SyncService) => Promise<void>,
): Promise<void> {
  const config = loadConfig({
    configFile: options.config,
    overrides: { dataDir: options.data, databaseUrl: options.database },
  });
  const storage = await openAppStorage(config);
  try {
    const runtime = await startSync(
      storage,
      config,
      createLogger({ level: config.logLevel, ...(config.logFormat ? { format: config.logFormat } : {}) }),
    );
    try {
      await work(runtime.service);
    } finally {
      await runtime.close();
    }
  } finally {
    await storage.close();
  }
}

function parse<T>(
  schema: {
    safeParse(
      value: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  value: unknown,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalid('input_invalid', 'invalid input', {
      issues: result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`),
    });
  }
  return result.data;
}

function tenantRef(value: string): number | string {
  return /^[1-9]\d{0,15}$/.test(value) ? Number(value) : value;
}

function positiveInt(value: string, what: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw invalid('argument_invalid', `${what} must be a positive integer`);
  return Number(value);
}

function print(value: string | number): void {
  process.stdout.write(`${value}\n`);
}
