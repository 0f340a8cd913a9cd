import type { Command } from 'commander';
import { parseObjectId } from '../../git/object-id.js';
import { SCOPES } from '../../access/roles.js';
import { loadConfig } from '../../platform/config.js';
import type { UserStore } from '../../storage/user-store.js';
import type { MegaDirectory } from '../../monorepo/mega-directory.js';
import { buildDomainServices, installationChannel, openAppStorage, openInstallation } from '../app.js';
import { findOrCreateUser } from './token.js';

interface InitOptions {
  data?: string;
  config?: string;
  adminUser?: string;
}

/** The first administrator's name when `--admin-user` does not give one. */
export const DEFAULT_ADMIN_USER = 'admin';

/**
 * `mega init [--data DIR] [--admin-user NAME]`: creates the Mega directory (commit 1 with
 * README.md, projects/ and import/) in the configured database, the installation's id and secret
 * fingerprint, and, while no user is an administrator, the first administrator with a token of
 * every scope, printed as the last line of stdout. Idempotent: an existing directory is left as it
 * is, and once an administrator exists no token is made or printed again.
 */
export function registerInitCommand(program: Command): void {
  registerDirectoryCommand(program);
  program
    .command('init')
    .description('create the Mega directory (idempotent)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .option('--admin-user <name>', 'name of the first administrator', DEFAULT_ADMIN_USER)
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
        await createFirstAdministrator(storage.users, options.adminUser ?? DEFAULT_ADMIN_USER);
      } finally {
        await storage.close();
      }
    });
}

/**
 * Makes `username` an administrator and prints a token with every scope as the last line of
 * stdout, unless some user already is an administrator (then nothing is printed: a token is shown
 * once, and re-running init must not mint new ones).
 */
async function createFirstAdministrator(users: UserStore, username: string): Promise<void> {
  if ((await users.listUsers()).some((user) => user.isAdmin)) return;
  const user = await findOrCreateUser(users, username, true);
  if (!user.isAdmin) await users.setAdmin(user.id, true);
  const created = await users.createToken(user.id, 'init', { scopes: SCOPES });
  process.stdout.write(`mega: created administrator ${user.username}; its token (shown once):\n`);
  process.stdout.write(`${created.token}\n`);
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
