import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { SearchIndexer, type IndexOutcome } from '../../repo/search/search-indexer.js';
import { openAppStorage } from '../app.js';

interface SearchOptions {
  data?: string;
  config?: string;
  rebuild?: boolean;
  json?: boolean;
}

function describeOutcome(outcome: IndexOutcome): string {
  const counts =
    outcome.written === undefined
      ? ''
      : ` (${outcome.written} files written, ${outcome.removed ?? 0} removed, ${outcome.skipped ?? 0} skipped)`;
  return `${outcome.path}: ${outcome.status}${outcome.commitId ? ` at ${outcome.commitId.slice(0, 12)}` : ''}${counts}`;
}

/**
 * `mega search reindex [PATH…]` builds the code search index for repositories that existed
 * before it (or brings lagging ones up to date; `--rebuild` starts from nothing);
 * `mega search status` lists what each repository's index reflects. Pushes keep it current.
 */
export function registerSearchCommand(program: Command): void {
  const search = program.command('search').description('the code search index (docs/search.md)');
  const common = (command: Command) =>
    command
      .option('--data <dir>', 'data directory (default ./data)')
      .option('--config <file>', 'JSON config file')
      .option('--json', 'print JSON lines');

  common(
    search
      .command('reindex')
      .description("index every repository's default branch (or the paths named)")
      .argument('[paths...]', 'repository paths; default: every repository')
      .option('--rebuild', 'drop what is indexed and index from scratch'),
  ).action(async (paths: string[], options: SearchOptions) => {
    const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
    const storage = await openAppStorage(config);
    try {
      const indexer = new SearchIndexer(storage);
      const print = (outcome: IndexOutcome) =>
        process.stdout.write(`${options.json ? JSON.stringify(outcome) : describeOutcome(outcome)}\n`);
      if (paths.length === 0) {
        await indexer.syncAll({ rebuild: options.rebuild ?? false, onOutcome: print });
        return;
      }
      for (const path of paths) {
        if (options.rebuild) {
          const repository = await storage.repositories.find(path);
          if (repository) await storage.search.forget(repository.id);
        }
        print(await indexer.sync(path));
      }
    } finally {
      await storage.close();
    }
  });

  common(search.command('status').description("what each repository's index reflects")).action(
    async (options: SearchOptions) => {
      const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
      const storage = await openAppStorage(config);
      try {
        for (const state of await new SearchIndexer(storage).status()) {
          const text = `${state.path}: ${
            state.indexedCommit === undefined ? 'not indexed' : state.current ? 'current' : 'lagging'
          }, ${state.files} files, ${state.skipped} skipped`;
          process.stdout.write(`${options.json ? JSON.stringify(state) : text}\n`);
        }
      } finally {
        await storage.close();
      }
    },
  );
}
