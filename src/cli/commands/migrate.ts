import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { openMigrations } from '../../storage/storage.js';

interface MigrateOptions {
  data?: string;
  config?: string;
  database?: string;
  down?: boolean;
  status?: boolean;
}

/** `mega migrate`: bring the database schema to the latest version (also done by `mega serve`). */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (or revert the latest with --down)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .option('--database <url>', 'database URL (default MEGA_DATABASE_URL or sqlite:<data>/mega.db)')
    .option('--down', 'revert the most recently applied migration')
    .option('--status', 'list migrations and whether each is applied')
    .action(async (options: MigrateOptions) => {
      const config = loadConfig({
        configFile: options.config,
        overrides: { dataDir: options.data, databaseUrl: options.database },
      });
      const migrations = openMigrations(config.databaseUrl);
      try {
        if (options.status) {
          for (const step of await migrations.status()) {
            process.stdout.write(`${step.applied ? 'applied' : 'pending'}  ${step.name}\n`);
          }
          return;
        }
        const names = options.down ? await migrations.down() : await migrations.toLatest();
        const verb = options.down ? 'reverted' : 'applied';
        process.stdout.write(
          names.length === 0
            ? `database ${migrations.displayUrl} is up to date\n`
            : names.map((name) => `${verb} ${name}\n`).join(''),
        );
      } finally {
        await migrations.close();
      }
    });
}
