import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { GithubService } from '../../github/github-service.js';
import { loadConfig } from '../../platform/config.js';
import { invalid } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import { buildGithub, openAppStorage, openInstallation } from '../app.js';

interface CommonOptions {
  data?: string;
  config?: string;
  database?: string;
  json?: boolean;
}

/**
 * `mega github link|unlink|sync|status|list`: GitHub issues and pull requests of /import
 * repositories (docs/github.md), against the server's data directory or database. The webhook
 * secret is read from stdin when `--webhook-secret-stdin` is given (never an argument: every local
 * user can read arguments in /proc), else generated and printed once.
 */
export function registerGithubCommand(program: Command): void {
  const github = program
    .command('github')
    .description('GitHub issues and pull requests of /import repositories');
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file')
      .option('--database <url>', 'database URL')
      .option('--json', 'print JSON');

  common(
    github
      .command('link <repo> <github-repository>')
      .description('link /import/<name> to owner/name (or a GitHub URL); prints the webhook secret once')
      .option('--base-url <url>', 'a GitHub Enterprise Server, e.g. https://ghe.example.com')
      .option('--credential <id>', 'sync credential (token) whose secret is the API token')
      .option('--webhook-secret-stdin', 'read the webhook secret from stdin instead of generating one')
      .option('--sync', 'backfill right away'),
  ).action(
    async (
      repo: string,
      repository: string,
      options: CommonOptions & {
        baseUrl?: string;
        credential?: string;
        webhookSecretStdin?: boolean;
        sync?: boolean;
      },
    ) =>
      withService(options, async (service) => {
        const credentialId = options.credential === undefined ? undefined : positiveId(options.credential);
        const { link, webhookSecret } = await service.link({
          repo,
          repository,
          ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
          ...(credentialId !== undefined ? { credentialId } : {}),
          ...(options.webhookSecretStdin
            ? { webhookSecret: readFileSync(0, 'utf8').replace(/\r?\n$/, '') }
            : {}),
        });
        const result = options.sync ? await service.sync(link.repo) : undefined;
        if (options.json)
          return printJson({ link, webhookSecret: webhookSecret, ...(result ? { sync: result } : {}) });
        print(`linked ${link.repo} to ${link.htmlUrl}`);
        print(`webhook: POST <server>/api/v1/github/webhook, content type application/json`);
        print(`webhook secret (shown once): ${webhookSecret}`);
        if (result) print(syncLine(result));
      }),
  );

  common(
    github
      .command('unlink <repo>')
      .description('remove the link and the issues and pull requests it brought'),
  ).action(async (repo: string, options: CommonOptions) =>
    withService(options, async (service) => {
      await service.unlink(repo);
      if (!options.json) print(`unlinked ${repo}`);
    }),
  );

  common(
    github
      .command('sync [repo]')
      .description(
        'backfill or poll one linked repository now, or every link (after linking mirrors) with --all',
      )
      .option('--all', 'link mirrored GitHub sync repositories, then poll every link'),
  ).action(async (repo: string | undefined, options: CommonOptions & { all?: boolean }) =>
    withService(options, async (service) => {
      if (options.all) {
        const linked = await service.autoLink();
        const result = await service.syncAll();
        if (options.json) return printJson({ linked, ...result });
        return print(`linked ${linked}, polled ${result.polled}, failed ${result.failed}`);
      }
      if (!repo) throw invalid('argument_invalid', 'name a repository, or use --all');
      const result = await service.sync(repo);
      if (options.json) return printJson(result);
      print(syncLine(result));
    }),
  );

  common(github.command('status <repo>').description('the link, its last poll and counts')).action(
    async (repo: string, options: CommonOptions) =>
      withService(options, async (service) => {
        const status = await service.status(repo);
        if (options.json) return printJson(status);
        print(`${status.repo} ↔ ${status.htmlUrl} (${status.source})`);
        print(
          `last poll: ${status.lastSyncedAt ?? 'never'}${status.lastError ? ` — ${status.lastError}` : ''}`,
        );
        print(`issues: ${counts(status.counts.issues)}; pull requests: ${counts(status.counts.pulls)}`);
      }),
  );

  common(github.command('list').description('every link')).action(async (options: CommonOptions) =>
    withService(options, async (service) => {
      const links = await service.links();
      if (options.json) return printJson(links);
      for (const link of links) print(`${link.repo}\t${link.repository}\t${link.lastSyncedAt ?? 'never'}`);
    }),
  );
}

async function withService(
  options: CommonOptions,
  work: (service: GithubService) => Promise<void>,
): Promise<void> {
  const config = loadConfig({
    configFile: options.config,
    overrides: { dataDir: options.data, databaseUrl: options.database },
  });
  const logger = createLogger({
    level: config.logLevel,
    ...(config.logFormat ? { format: config.logFormat } : {}),
  });
  const storage = await openAppStorage(config);
  try {
    const installation = await openInstallation(storage, config, logger);
    await work(buildGithub(storage, installation, logger).service);
  } finally {
    await storage.close();
  }
}

function positiveId(text: string): number {
  if (!/^[1-9]\d{0,14}$/.test(text)) throw invalid('argument_invalid', '--credential must be a positive id');
  return Number(text);
}

const counts = (byState: Record<string, number>) =>
  Object.entries(byState)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ') || 'none';

const syncLine = (result: {
  issues: number;
  pulls: number;
  comments: number;
  unchanged: readonly string[];
}) =>
  `stored ${result.issues} issues, ${result.pulls} pull requests, ${result.comments} comments` +
  (result.unchanged.length ? ` (unchanged: ${result.unchanged.join(', ')})` : '');

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
