import type { Command } from 'commander';
import { CommanderError } from 'commander';
import type { FsckProblem } from '../../git/pack-fsck.js';
import { loadConfig } from '../../platform/config.js';
import { notFound } from '../../platform/errors.js';
import type { Repository } from '../../storage/repository-store.js';
import { fsckStoredRepository } from '../../storage/repository-fsck.js';
import type { Storage } from '../../storage/storage.js';
import { openAppStorage } from '../app.js';

interface FsckOptions {
  data?: string;
  config?: string;
  json?: boolean;
}

/** The repositories named (a path, or every repository below it), or all of them. */
async function selectRepositories(storage: Storage, paths: readonly string[]): Promise<Repository[]> {
  if (paths.length === 0) return storage.repositories.list();
  const chosen = new Map<number, Repository>();
  for (const path of paths) {
    const found = await storage.repositories.list({ prefix: path });
    if (found.length === 0) throw notFound('repository_not_found', `no repository at or below ${path}`);
    for (const repository of found) chosen.set(repository.id, repository);
  }
  return [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * `mega fsck [PATH…]`: git's fsck rules at --strict strength (what every push now passes) over
 * what is already stored, listing each problem as `<repository>: error|warning: object <id>:
 * <msgId>: …`. Exits 1 when any error is found. `git.fsckIgnore` relaxes the same ids as for
 * pushes.
 */
export function registerFsckCommand(program: Command): void {
  program
    .command('fsck')
    .description("check stored repositories with git's fsck rules and list what is wrong")
    .argument('[paths...]', 'repository paths (or directories of them); default: every repository')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .option('--json', 'print JSON lines')
    .action(async (paths: string[], options: FsckOptions) => {
      const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
      const storage = await openAppStorage(config);
      let errors = 0;
      try {
        const policy = { strict: true, ignore: new Set(config.git.fsckIgnore) };
        for (const repository of await selectRepositories(storage, paths)) {
          const print = (problem: FsckProblem) => {
            const line = options.json
              ? JSON.stringify({ repository: repository.path, ...problem })
              : `${repository.path}: ${problem.severity}: ${problem.line}`;
            process.stdout.write(`${line}\n`);
          };
          const summary = await fsckStoredRepository(storage, repository, policy, print);
          errors += summary.errors;
          const text = `${repository.path}: ${summary.objects} objects, ${summary.errors} errors, ${summary.warnings} warnings`;
          process.stdout.write(
            `${options.json ? JSON.stringify({ repository: repository.path, ...summary }) : text}\n`,
          );
        }
      } finally {
        await storage.close();
      }
      if (errors > 0) {
        process.stderr.write(`mega fsck: ${errors} errors\n`);
        throw new CommanderError(1, 'mega.fsck', `fsck found ${errors} errors`);
      }
    });
}
