import { afterEach, expect, it, vi } from 'vitest';
import { SHA1 } from '../git/object-format.js';
import { hashObject } from '../git/object.js';
import { BulkInserter } from './bulk-insert.js';
import { ObjectWriter } from './object-writer.js';
import { describeEachDialect } from '../../tests/support/dialects.js';

/** Blob contents `tag first` … `tag first + count - 1`, each its own object. */
function blobs(tag: string, first: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) => Buffer.from(`${tag} ${first + n}\n`));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect('object writer batches', (getDb, dialect) => {
  let repoCount = 0;
  const newRepo = async () => {
    const { db } = getDb().database;
    const path = `/writer/${++repoCount}`;
    const now = new Date().toISOString();
    await db
      .insertInto('repositories')
      .values({
        path,
        kind: 'import',
        head_ref: 'refs/heads/main',
        object_format: 'sha1',
        created_at: now,
        updated_at: now,
      })
      .execute();
    const row = await db
      .selectFrom('repositories')
      .select('id')
      .where('path', '=', path)
      .executeTakeFirstOrThrow();
    return Number(row.id);
  };
  /** Writes `contents` as blobs of `repoId` in one transaction, counting the rows sent by COPY. */
  const write = async (repoId: number, contents: readonly Buffer[]) => {
    const { database } = getDb();
    const copied = { raw_objects: 0, repository_objects: 0, batches: 0 };
    const spy = vi.spyOn(
      BulkInserter.prototype as unknown as {
        copyUnlessStored(db: unknown, rows: readonly unknown[]): Promise<boolean>;
      },
      'copyUnlessStored',
    );
    await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId,
        format: SHA1,
        largeObjectThreshold: 1024 * 1024,
        ...(database.runPreparedBatch ? { runPreparedBatch: database.runPreparedBatch } : {}),
      });
      for (const data of contents) await writer.addContent('blob', data);
      await writer.finish();
    });
    for (const [index, call] of spy.mock.calls.entries()) {
      const table = (spy.mock.contexts[index] as unknown as { table: string }).table;
      const succeeded = await spy.mock.results[index]!.value;
      if (!succeeded) continue;
      copied.batches++;
      if (table === 'raw_objects') copied.raw_objects += call[1].length;
      if (table === 'repository_objects') copied.repository_objects += call[1].length;
    }
    spy.mockRestore();
    return copied;
  };
  const count = async (repoId: number, contents: readonly Buffer[]) => {
    const { db } = getDb().database;
    const ids = contents.map((data) => hashObject('blob', data, SHA1));
    let raw = 0;
    let members = 0;
    for (let start = 0; start < ids.length; start += 5000) {
      const chunk = ids.slice(start, start + 5000);
      const rawRow = await db
        .selectFrom('raw_objects')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('git_id', 'in', chunk)
        .executeTakeFirstOrThrow();
      raw += Number(rawRow.n);
      const memberRow = await db
        .selectFrom('repository_objects')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('repo_id', '=', repoId)
        .where('git_id', 'in', chunk)
        .executeTakeFirstOrThrow();
      members += Number(memberRow.n);
    }
    return { raw, members };
  };

  it('sends every object row of a write past 20 batches of 2,000 by binary COPY (PostgreSQL), storing each once', async () => {
    const repo = await newRepo();
    const contents = blobs('all', 0, 45_000);
    const copied = await write(repo, contents);
    // The rows per flush grow while they go by COPY, so the bounded number of COPYs carries them all.
    if (dialect === 'postgres') {
      expect(copied.raw_objects).toBe(45_000);
      expect(copied.repository_objects).toBe(45_000);
      expect(copied.batches).toBeLessThanOrEqual(20);
    } else {
      expect(copied.batches).toBe(0);
    }
    expect(await count(repo, contents)).toEqual({ raw: 45_000, members: 45_000 });
  });

  it('stores a write whose later, bigger batch meets stored objects: the rest goes by the insert that skips them', async () => {
    const first = await newRepo();
    // Stored before: objects 20,000 … 29,999.
    await write(first, blobs('some', 20_000, 10_000));
    const second = await newRepo();
    // The first flushes (2k, 4k, 8k rows) are new; a later one holds the stored objects, and an
    // object repeated within the write (a hostile pack can send one twice) comes after it.
    const contents = [...blobs('some', 0, 30_000), ...blobs('some', 100, 50)];
    const copied = await write(second, contents);
    if (dialect === 'postgres') {
      expect(copied.raw_objects).toBeGreaterThanOrEqual(14_000);
      expect(copied.raw_objects).toBeLessThan(30_000);
    }
    // Each object once (`count` would see a second row of an id), every one a member.
    expect(await count(second, blobs('some', 0, 30_000))).toEqual({ raw: 30_000, members: 30_000 });
    expect(await count(first, blobs('some', 20_000, 10_000))).toEqual({ raw: 10_000, members: 10_000 });
  });
});
