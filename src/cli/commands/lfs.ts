import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { migrateLfsStore } from '../../lfs/lfs-store-migration.js';
import { loadConfig } from '../../platform/config.js';
import { openAppStorage } from '../app.js';

interface MigrateStoreOptions {
  to: string;
  from?: string;
  data?: string;
  config?: string;
}

/**
 * `mega lfs migrate-store --to SPEC [--from SPEC]`: copies every stored LFS object from the
 * configured store (or `--from`) to another (`file:DIR`, `db`, `s3://…`), each verified by
 * sha256 and size. Run it again after an interruption: objects already copied are skipped. Exits
 * 1 while any object is missing or failed; once it succeeds, set `MEGA_LFS_STORE` to the target.
 */
export function registerLfsCommand(program: Command): void {
  const lfs = program.command('lfs').description('Git LFS storage administration');
  lfs
    .command('migrate-store')
    .description('copy every LFS object to another blob store (resumable, verified)')
    .requiredOption('--to <store>', 'target store: file:DIR, db or s3://BUCKET?endpoint=URL&region=R')
    .option('--from <store>', 'source store (default: the configured MEGA_LFS_STORE)')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'JSON config file')
    .action(async (options: MigrateStoreOptions) => {
      const config = loadConfig({ configFile: options.config, overrides: { dataDir: options.data } });
      const storage = await openAppStorage(config);
      const from = options.from ? storage.openLfsBlobStore(options.from) : storage.lfsBlobs;
      const to = storage.openLfsBlobStore(options.to);
      let result;
      try {
        process.stdout.write(`copying LFS objects from ${from.description} to ${to.description}\n`);
        result = await migrateLfsStore(storage.lfs, from, to, (oid, outcome) => {
          if (outcome === 'missing') process.stderr.write(`missing in the source: ${oid}\n`);
        });
      } finally {
        await to.close();
        if (from !== storage.lfsBlobs) await from.close();
        await storage.close();
      }
      process.stdout.write(
        `copied ${result.copied} (${result.bytes} bytes), already there ${result.present}, ` +
          `missing ${result.missing.length}, failed ${result.failed.length}\n`,
      );
      for (const { oid, message } of result.failed) process.stderr.write(`failed ${oid}: ${message}\n`);
      const incomplete = result.missing.length + result.failed.length;
      if (incomplete > 0) {
        throw new CommanderError(1, 'mega.lfs', `${incomplete} objects not copied; fix and run again`);
      }
      process.stdout.write(`done: set MEGA_LFS_STORE=${options.to} and restart the servers\n`);
    });
}
