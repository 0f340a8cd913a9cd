import { loadConfig } from '../../../src/platform/config.js';
import { openDatabase } from '../../../src/storage/open-database.js';
import { createStorage, type Storage } from '../../../src/storage/storage.js';

/**
 * Changes the access rules of a running server's data directory (every server reads them fresh on
 * each request): what `mega access …` does, without depending on the command's output.
 */
export async function withAccessRules(
  dataDir: string,
  work: (access: Storage['access']) => Promise<void>,
): Promise<void> {
  const config = loadConfig({ env: {}, overrides: { dataDir } });
  const database = openDatabase(config.databaseUrl);
  try {
    await work(createStorage(database, config).access);
  } finally {
    await database.close();
  }
}
