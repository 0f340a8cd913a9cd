import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { blob } from '../../tests/support/lfs-blob-store-contract.js';
import { DbBlobStore } from '../storage/lfs/db-blob-store.js';
import { FileBlobStore } from '../storage/lfs/file-blob-store.js';
import { LfsStore } from '../storage/lfs/lfs-store.js';
import { migrateLfsStore } from './lfs-store-migration.js';

describeEachDialect('mega lfs migrate-store', (getDb) => {
  it('copies every stored object verified, skips what is there, reports missing and damaged ones', async () => {
    const { database, dataDir } = getDb();
    const catalogue = new LfsStore(database.db, database.capabilities);
    const from = new FileBlobStore(join(dataDir, 'lfs-source'));
    const to = new DbBlobStore(database.db, database.capabilities, 4096);
    const objects = [blob(randomBytes(10_000)), blob(randomBytes(5)), blob(randomBytes(9000))];
    const now = new Date().toISOString();
    for (const object of objects) {
      await from.put(object.oid, () => Readable.from([object.content]), object.size);
      await catalogue.recordObject('/migrate/repo', object.oid, object.size, now);
    }
    const absent = blob(Buffer.from('catalogued, but its file is gone'));
    await catalogue.recordObject('/migrate/repo', absent.oid, absent.size, now);
    // A source file whose bytes no longer hash to its oid must not be copied.
    const damaged = objects[2]!;
    await writeFile(from.objectPath(damaged.oid), randomBytes(damaged.size));

    const first = await migrateLfsStore(catalogue, from, to);
    expect(first).toMatchObject({ copied: 2, present: 0, missing: [absent.oid], bytes: 10_005 });
    expect(first.failed.map((entry) => entry.oid)).toEqual([damaged.oid]);
    expect(await to.has(damaged.oid)).toBe(false);
    for (const object of objects.slice(0, 2)) {
      expect((await buffer(await to.open(object.oid))).equals(object.content)).toBe(true);
    }

    await from.delete(damaged.oid);
    await from.put(damaged.oid, () => Readable.from([damaged.content]), damaged.size);
    const second = await migrateLfsStore(catalogue, from, to);
    expect(second).toMatchObject({ copied: 1, present: 2, missing: [absent.oid], failed: [] });
  });
});
