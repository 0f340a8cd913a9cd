import type { Command } from 'commander';
import { parseObjectId } from '../../git/object-id.js';
import { loadConfig, type MegaConfig } from '../../platform/config.js';
import { MegaDirectory } from '../../monorepo/mega-directory.js';
import { MonorepoResolver } from '../../monorepo/monorepo-resolver.js';
import { createRepositoryAdmin, monorepoDeps } from '../../monorepo/storage-adapter.js';
import type { RepositoryResolver } from '../../repo/served-repository.js';
import { createStoredRepositoryResolver } from '../../repo/stored-repositories.js';
import { MergeRequests } from '../../review/merge-requests.js';
import { openStorage, type Storage } from '../../storage/storage.js';
import type { Logger } from '../../platform/logger.js';

interface InitOptions {
  data?: string;
  config?: string;
}

/**
 * `mega init [--data DIR]`: creates the Mega directory (commit 1 with README.md, projects/ and
 * import/) in the configured database. Idempotent: an existing directory is left as it is.
 */
export function registerInitCommand(program: Command): void {
  registerDirectoryCommand(program);
  program
    .command('init')
    .description('create the Mega directory (idempotent)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .action(async (options: InitOptions) => {
      const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
      const storage = await openStorage(config);
      try {
        const result = await new MegaDirectory(monorepoDeps(storage, config)).init();
        process.stdout.write(
          result.created
            ? `mega: initialised the Mega directory (commit ${result.commit})\n`
            : `mega: the Mega directory already exists (head ${result.commit})\n`,
        );
      } finally {
        await storage.close();
      }
    });
}

/**
 * `mega directory unlink <path>` / `mega directory rollback <commit>`: directory changes only an
 * operator makes (a root push may change README files only). Both add a new directory commit.
 */
export function registerDirectoryCommand(program: Command): void {
  const directory = program.command('directory').description('operate on the Mega directory');
  const run = async (
    options: InitOptions & { as?: string },
    work: (dir: MegaDirectory, actor: string) => Promise<string>,
  ) => {
    const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
    const storage = await openStorage(config);
    try {
      const commit = await work(new MegaDirectory(monorepoDeps(storage, config)), options.as ?? 'admin');
      process.stdout.write(`mega: directory is now at ${commit}\n`);
    } finally {
      await storage.close();
    }
  };
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file')
      .option('--as <user>', 'who acts (the commit author)', process.env.USER ?? 'admin');
  common(
    directory.command('unlink <path>').description("remove a repository's b-link (the repository is kept)"),
  ).action((path: string, options: InitOptions & { as?: string }) =>
    run(options, (dir, actor) => dir.removeLink(path, actor, Date.now() / 1000)),
  );
  common(
    directory.command('rollback <commit>').description('make an earlier directory version current again'),
  ).action((commit: string, options: InitOptions & { as?: string }) =>
    run(options, (dir, actor) => dir.rollback(parseObjectId(commit), actor, Date.now() / 1000)),
  );
}

/** `mega serve` start-up hook: an empty data directory gets its Mega directory by itself. */
export async function monorepoServeHook(ctx: {
  readonly config: MegaConfig;
  readonly logger: Logger;
  readonly storage: Storage;
}): Promise<void> {
  const result = await new MegaDirectory(monorepoDeps(ctx.storage, ctx.config)).init();
  if (result.created) ctx.logger.info({ commit: result.commit }, 'initialised the Mega directory');
  // Repositories half-created by first pushes of older versions block their path: remove them.
  const repaired = await createRepositoryAdmin(ctx.storage, ctx.config).repair();
  for (const path of repaired.removed) ctx.logger.warn({ path }, 'removed a half-created repository');
  if (repaired.abandonedPushes > 0)
    ctx.logger.info({ count: repaired.abandonedPushes }, 'removed abandoned first pushes');
}

/** Where `remote:` links point: the public URL, else the configured listen address. */
export function serverBaseUrl(config: MegaConfig): string {
  return (
    config.publicUrl ??
    `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`
  ).replace(/\/+$/, '');
}

/** The resolver `mega serve` hands to smart HTTP: the Mega directory over stored repositories. */
export function createDirectoryResolver(storage: Storage, config: MegaConfig): RepositoryResolver {
  const deps = monorepoDeps(storage, config);
  return new MonorepoResolver({
    ...deps,
    stored: createStoredRepositoryResolver(storage, {
      protectDefaultBranch: config.git.protectDefaultBranch,
      kindOf: (path) => (path.startsWith('/import/') ? 'import' : 'hosted'),
    }),
    proposals: new MergeRequests({ storage, monorepo: deps, baseUrl: () => serverBaseUrl(config) }),
    within: (scope) => monorepoDeps(scope, config),
  });
}
