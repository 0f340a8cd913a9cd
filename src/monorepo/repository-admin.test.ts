import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadConfig } from '../platform/config.js';
import { migrateToLatest } from '../storage/migrations/migrator.js';
import { openDatabase, type MegaDatabase } from '../storage/open-database.js';
import { createStorage, type Storage } from '../storage/storage.js';
import { createRepositoryAdmin } from './storage-adapter.js';

let temp: { path: string; remove: () => Promise<void> };
let database: MegaDatabase;
let storage: Storage;

beforeAll(async () => {
  temp = await makeTempDir();
  const config = {
    ...loadConfig({ env: {}, overrides: { dataDir: temp.path } }),
    databaseUrl: 'sqlite::memory:',
  };
  database = openDatabase(config.databaseUrl);
  await migrateToLatest(database);
  storage = createStorage(database, config);
});

afterAll(async () => {
  await database.close();
  await temp.remove();
});

describe('deleting a repository', () => {
  it("drops the path's own grants, settings and protected patterns with it, not its parents'", async () => {
    const user = await storage.users.createUser({ username: 'dana' });
    await storage.repositories.create({ path: '/import/doomed', kind: 'import' });
    await storage.access.setGrant('/import/doomed', 'user', user.id, 'maintain');
    await storage.access.setGrant('/import', 'user', user.id, 'read');
    await storage.access.setPathSetting('/import/doomed', { visibility: 'private', selfMerge: true });
    await storage.access.setPathSetting('/import', { visibility: 'internal' });
    await storage.access.protectBranches('/import/doomed', 'release/*');
    const admin = createRepositoryAdmin(storage, { cloneLimit: 1 << 20 });
    expect(await admin.deleteRepository('/import/doomed', 'root')).toEqual({ unlinked: false });
    expect(await storage.repositories.find('/import/doomed')).toBeUndefined();
    expect((await storage.access.grantsOf(user.id)).map((grant) => `${grant.path}:${grant.role}`)).toEqual([
      '/import:read',
    ]);
    expect((await storage.access.pathSettings()).map((setting) => setting.path)).toEqual(['/import']);
    expect(await storage.access.protectedBranches('/import/doomed')).toEqual([]);
  });
});
