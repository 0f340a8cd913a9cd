import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import type { RepositoryAdmin } from '../../monorepo/repository-admin.js';
import { buildDomainServices, openAppStorage } from '../app.js';

interface RepoOptions {
  data?: string;
  config?: string;
  as?: string;
}

/**
 * `mega repo repair | set-head <path> <branch> | delete <path>`: an administrator's operations
 * on hosted repositories, on the configured database (the same as the REST API's admin routes).
 */
export function registerRepoCommand(program: Command): void {
  const repo = program.command('repo').description('administer hosted repositories');
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file');
  const run = async (options: RepoOptions, work: (admin: RepositoryAdmin) => Promise<string>) => {
    const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
    const storage = await openAppStorage(config);
    try {
      process.stdout.write(`${await work(buildDomainServices(storage, config).repositoryAdmin)}\n`);
    } finally {
      await storage.close();
    }
  };
  common(
    repo
      .command('repair')
      .description('remove half-created repositories (no refs, no b-link) that block their path'),
  ).action((options: RepoOptions) =>
    run(options, async (admin) => {
      const report = await admin.repair();
      const lines = report.removed.map((path) => `mega: removed half-created repository ${path}`);
      if (report.abandonedPushes > 0)
        lines.push(`mega: removed ${report.abandonedPushes} abandoned first push(es)`);
      return lines.length > 0 ? lines.join('\n') : 'mega: nothing to repair';
    }),
  );
  common(repo.command('set-head <path> <branch>').description("change a repository's default branch")).action(
    (path: string, branch: string, options: RepoOptions) =>
      run(options, async (admin) => {
        const repository = await admin.setDefaultBranch(path, branch);
        return `mega: ${path} HEAD is now ${repository.headRef}`;
      }),
  );
  common(repo.command('delete <path>').description('delete a repository and remove its b-link'))
    .option('--as <user>', 'who acts (the directory commit author)', process.env.USER ?? 'admin')
    .action((path: string, options: RepoOptions) =>
      run(options, async (admin) => {
        const result = await admin.deleteRepository(path, options.as ?? 'admin');
        return `mega: deleted ${path}${result.unlinked ? ' and its b-link' : ''}`;
      }),
    );
}
