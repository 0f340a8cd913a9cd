import type { Command } from 'commander';
import { parseObjectId } from '../../git/object-id.js';
import { loadConfig } from '../../platform/config.js';
import type { MegaDirectory } from '../../monorepo/mega-directory.js';
import { buildDomainServices, installationChannel, openAppStorage, openInstallation } from '../app.js';

interface InitOptions {
  data?: string;
  config?: string;
}

/**
 * `mega init [--data DIR]`: creates the Mega directory (commit 1 with README.md, projects/ and
 * import/) in the configured database, and the installation's id and secret fingerprint.
 * Idempotent: an existing directory is left as it is.
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
      const storage = await openAppStorage(config);
      try {
        const result = await buildDomainServices(storage, config).directory.init();
        process.stdout.write(
          result.created
            ? `mega: initialised the Mega directory (commit ${result.commit})\n`
            : `mega: the Mega directory already exists (head ${result.commit})\n`,
        );
        // The installation id and the secret's fingerprint are stored now, before any server runs.
        const installation = await openInstallation(storage, config);
        process.stdout.write(
          `mega: installation ${installation.id}, sync jobs on Redis channel ${installationChannel(installation)}\n`,
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
    const storage = await openAppStorage(config);
    try {
      const commit = await work(buildDomainServices(storage, config).directory, options.as ?? 'admin');
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
