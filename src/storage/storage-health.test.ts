import { afterEach, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../tests/support/scratch-database.js';
import type { LfsBlobStore } from './lfs/lfs-blob-store.js';
import { classifyDatabaseFault } from './storage-faults.js';
import { StorageHealth } from './storage-health.js';

describe('StorageHealth', () => {
  let scratch: ScratchDatabase | undefined;
  afterEach(async () => {
    await scratch?.drop();
    scratch = undefined;
  });

  const open = async (minFreeBytes: number) => {
    scratch = await createScratchDatabase('sqlite');
    return new StorageHealth(scratch.database, { dataDir: scratch.dataDir, minFreeBytes });
  };

  it('is ready with a database that answers and enough free space, and says how much', async () => {
    const states = await (await open(0)).check();
    expect(states.map((state) => [state.name, state.ok])).toEqual([
      ['database', true],
      ['storage', true],
    ]);
    expect(states[1]?.details).toMatchObject({ path: scratch!.dataDir, minFreeBytes: 0 });
    expect(states[1]?.details?.freeBytes).toBeGreaterThan(0);
  });

  it('fails the storage below the free-space minimum, naming both numbers', async () => {
    const disk = await (await open(Number.MAX_SAFE_INTEGER)).checkDisk();
    expect(disk.ok).toBe(false);
    expect(disk.message).toMatch(/bytes free in .*, below the minimum of 9007199254740991/);
  });

  it('fails the storage for a while after a write met a full disk, even with space again', async () => {
    const health = await open(0);
    scratch!.database.faults.record(
      classifyDatabaseFault(Object.assign(new Error('full'), { code: 'ENOSPC' })),
    );
    const disk = await health.checkDisk();
    expect(disk.ok).toBe(false);
    expect(disk.message).toMatch(/a write failed for lack of space .* out of storage space \(ENOSPC\)/);
    expect(disk.details?.lastFullAt).toEqual(expect.any(String));
  });

  it('fails the storage when the data directory cannot be read, and the database once closed', async () => {
    scratch = await createScratchDatabase('sqlite');
    const health = new StorageHealth(scratch.database, {
      dataDir: `${scratch.dataDir}/missing`,
      minFreeBytes: 0,
    });
    const disk = await health.checkDisk();
    expect(disk.ok).toBe(false);
    expect(disk.message).toMatch(/cannot read the free space of/);
    await scratch.database.close();
    const database = await health.checkDatabase();
    expect(database.ok).toBe(false);
    expect(database.message).toBeTruthy();
  });

  it('reports the LFS store when given: ok when it answers a lookup, failing with its error', async () => {
    scratch = await createScratchDatabase('sqlite');
    const store = (stat: () => Promise<number | undefined>) =>
      ({ description: 's3://bucket', stat }) as unknown as LfsBlobStore;
    const answering = new StorageHealth(scratch.database, {
      dataDir: scratch.dataDir,
      minFreeBytes: 0,
      lfsBlobs: store(async () => undefined),
    });
    expect((await answering.check()).map((state) => [state.name, state.ok])).toEqual([
      ['database', true],
      ['storage', true],
      ['lfs_store', true],
    ]);
    const refusing = new StorageHealth(scratch.database, {
      dataDir: scratch.dataDir,
      minFreeBytes: 0,
      lfsBlobs: store(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9'))),
    });
    expect((await refusing.check())[2]).toEqual({
      name: 'lfs_store',
      ok: false,
      message: 'LFS store s3://bucket: connect ECONNREFUSED 127.0.0.1:9',
      details: { store: 's3://bucket' },
    });
  });
});
