import { afterEach, expect, it, vi } from 'vitest';
import { DenseIdIndex } from '../git/dense-id-index.js';
import { SHA1 } from '../git/object-format.js';
import { hashObject } from '../git/object.js';
import { parseObjectId } from '../git/object-id.js';
import { BulkInserter } from './bulk-insert.js';
import { sizeClassOf } from './size-class.js';
import { ObjectWriter, RAW_OBJECT_COLUMNS, type WrittenRowKeys } from './object-writer.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { insertRepositoryRow } from '../../tests/support/repository-rows.js';

/** Blob contents `tag first` … `tag first + count - 1`, each its own object. */
function blobs(tag: string, first: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) => Buffer.from(`${tag} ${first + n}\n`));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect('object writer batches', (getDb, dialect) => {
  let repoCount = 0;
  const newRepo = () => insertRepositoryRow(getDb().database.db, `/writer/${++repoCount}`);
  /**
   * Writes `contents` as blobs of `repoId` in one transaction; counts the COPYs that stored rows
   * and the rows that went by an ordinary insert instead, per table.
   */
  const write = async (repoId: number, contents: readonly Buffer[], expectedObjects?: number) => {
    const { database } = getDb();
    type Spied = {
      copyUnlessStored(db: unknown, tuples: unknown): Promise<boolean>;
      insertRows(db: unknown, rows: readonly unknown[]): Promise<void>;
      insertEncoded(db: unknown, rows: unknown): Promise<void>;
    };
    const copy = vi.spyOn(BulkInserter.prototype as unknown as Spied, 'copyUnlessStored');
    const insert = vi.spyOn(BulkInserter.prototype as unknown as Spied, 'insertRows');
    const encoded = vi.spyOn(BulkInserter.prototype as unknown as Spied, 'insertEncoded');
    await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId,
        format: SHA1,
        largeObjectThreshold: 1024 * 1024,
        ...(database.runPreparedBatch ? { runPreparedBatch: database.runPreparedBatch } : {}),
        ...(expectedObjects !== undefined ? { expectedObjects } : {}),
      });
      for (const data of contents) await writer.addContent('blob', data);
      await writer.finish();
    });
    const tableOf = (context: unknown) => (context as { table: string }).table;
    const copies: Record<string, number> = {};
    for (const [index, result] of copy.mock.results.entries()) {
      if (!(await result.value)) continue;
      const table = tableOf(copy.mock.contexts[index]);
      copies[table] = (copies[table] ?? 0) + 1;
    }
    const inserted: Record<string, number> = {};
    for (const [index, [, rows]] of insert.mock.calls.entries()) {
      const table = tableOf(insert.mock.contexts[index]);
      inserted[table] = (inserted[table] ?? 0) + rows.length;
    }
    // Rows sent already encoded (MariaDB's membership): counted by their plain values.
    for (const [index, [, rows]] of encoded.mock.calls.entries()) {
      const table = tableOf(encoded.mock.contexts[index]);
      const { values, types } = rows as { values: () => unknown[]; types: Uint8Array };
      inserted[table] = (inserted[table] ?? 0) + values().length / types.length;
    }
    copy.mockRestore();
    insert.mockRestore();
    encoded.mockRestore();
    return { copies, inserted };
  };
  /** The ids `repoId` holds as members, in order. */
  const memberIds = async (repoId: number) => {
    const rows = await getDb()
      .database.db.selectFrom('repository_objects')
      .select('git_id')
      .where('repo_id', '=', repoId)
      .orderBy('git_id')
      .execute();
    return rows.map((row) => row.git_id);
  };
  /** The ids of `contents` as blobs, in order. */
  const blobIds = (contents: readonly Buffer[]) =>
    contents.map((data) => hashObject('blob', data, SHA1)).sort();
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
    const { copies, inserted } = await write(repo, contents);
    // One COPY carries several batches, so the bounded number of COPYs carries them all.
    if (dialect === 'postgres') {
      expect(inserted).toEqual({});
      expect(copies['raw_objects']).toBeLessThanOrEqual(20);
      expect(copies['repository_objects']).toBe(1);
    } else {
      expect(copies).toEqual({});
    }
    // MariaDB's membership goes as rows (bulk executes, encoded from the raw ids) rather than as
    // one JSON id list.
    if (dialect === 'mysql') expect(inserted['repository_objects']).toBe(45_000);
    expect(await count(repo, contents)).toEqual({ raw: 45_000, members: 45_000 });
  });

  it('with the count of objects it expects, sends every row by COPYs of equal shares within the budget, membership too (PostgreSQL)', async () => {
    const repo = await newRepo();
    const contents = blobs('expected', 0, 45_000);
    const { copies, inserted } = await write(repo, contents, contents.length);
    if (dialect === 'postgres') {
      expect(inserted).toEqual({});
      expect(copies['raw_objects']).toBeLessThanOrEqual(20);
      // Membership by sorted runs beside the objects' COPYs (an eighth of the count each), the
      // rest at the end.
      expect(copies['repository_objects']).toBeGreaterThan(1);
      expect(copies['repository_objects']).toBeLessThanOrEqual(9);
    }
    expect(await count(repo, contents)).toEqual({ raw: 45_000, members: 45_000 });
  });

  it('stores a write whose later, bigger COPY meets stored objects: those rows and the rest go by the insert that skips them', async () => {
    const first = await newRepo();
    // Stored before: objects 20,000 … 29,999.
    await write(first, blobs('some', 20_000, 10_000));
    const second = await newRepo();
    // The first COPY (the first 2,000 rows) is new; a later one holds the stored objects, and an
    // object repeated within the write (a hostile pack can send one twice) comes after it. How
    // many rows each COPY after the first carries depends on how far the server is behind (the
    // writer holds what arrives meanwhile), but a COPY that stored rows stored only new ones.
    const contents = [...blobs('some', 0, 30_000), ...blobs('some', 100, 50)];
    const { copies, inserted } = await write(second, contents);
    if (dialect === 'postgres') {
      expect(copies['raw_objects']).toBeGreaterThanOrEqual(1);
      expect(inserted['raw_objects']).toBeGreaterThanOrEqual(30_050 - 20_000);
      expect(inserted['raw_objects']).toBeLessThanOrEqual(30_050 - 2_000);
    }
    // Each object once (`count` would see a second row of an id), every one a member.
    expect(await count(second, blobs('some', 0, 30_000))).toEqual({ raw: 30_000, members: 30_000 });
    expect(await count(first, blobs('some', 20_000, 10_000))).toEqual({ raw: 10_000, members: 10_000 });
  });

  it('stores membership of a write whose members are partly stored: by COPY, then by the insert that skips them', async () => {
    const repo = await newRepo();
    await write(repo, blobs('members', 0, 3_000));
    // 20,000 new objects and the 3,000 members again: the membership COPY meets stored keys.
    const contents = blobs('members', 0, 23_000);
    const { copies, inserted } = await write(repo, contents);
    if (dialect === 'postgres') {
      expect(copies['repository_objects']).toBeUndefined();
      expect(inserted['repository_objects']).toBe(23_000);
    }
    expect(await count(repo, contents)).toEqual({ raw: 23_000, members: 23_000 });
    expect(await memberIds(repo)).toEqual(blobIds(contents));
  });

  it('stores membership sent beside the objects (the count known) whose members are partly stored, each once', async () => {
    const repo = await newRepo();
    await write(repo, blobs('early', 0, 3_000));
    // A run's COPY meets the 3,000 stored members: it and the rest go by the insert that skips them.
    const contents = blobs('early', 0, 23_000);
    const { inserted } = await write(repo, contents, contents.length);
    if (dialect === 'postgres') expect(inserted['repository_objects']).toBeGreaterThan(0);
    expect(await count(repo, contents)).toEqual({ raw: 23_000, members: 23_000 });
    expect(await memberIds(repo)).toEqual(blobIds(contents));
  });

  it('fills every column of a row but `path`, which stays NULL', async () => {
    const repo = await newRepo();
    const [content] = blobs('columns', 0, 1);
    await write(repo, [content!]);
    const row = await getDb()
      .database.db.selectFrom('raw_objects')
      .selectAll()
      .where('git_id', '=', hashObject('blob', content!, SHA1))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      object_type: 'blob',
      storage_type: 'database',
      delta_base: null,
      path: null,
    });
    expect([Number(row.size), Number(row.payload_size), Number(row.delta_depth)]).toEqual([
      content!.length,
      content!.length,
      0,
    ]);
    expect(row.data?.length).toBeGreaterThan(0);
  });

  it('stores commit rows of any text as their objects say (non-ASCII, long, many a batch)', async () => {
    const repo = await newRepo();
    const tree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    const messages = ['', 'é'.repeat(64), '日本語 \u{1F600}', 'x'.repeat(251), 'y'.repeat(70_000), 'plain\n'];
    const commits = Array.from({ length: 2_100 }, (_, at) => {
      const message = `${at} ${messages[at % messages.length]!}`;
      const ident = `Ünïcode ${at} <u@example.com> ${1_700_000_000 + at} +0100`;
      return Buffer.from(`tree ${tree}\nauthor ${ident}\ncommitter ${ident}\n\n${message}`);
    });
    const { database } = getDb();
    await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId: repo,
        format: SHA1,
        largeObjectThreshold: 1024 * 1024,
        ...(database.runPreparedBatch ? { runPreparedBatch: database.runPreparedBatch } : {}),
      });
      for (const data of commits) await writer.addContent('commit', data);
      await writer.finish();
    });
    for (const at of [0, 1, 2, 3, 4, 5, 1_999, 2_000, 2_099]) {
      const row = await database.db
        .selectFrom('commit')
        .select(['tree', 'pid', 'author', 'content', 'author_time', 'commit_time'])
        .where('git_id', '=', hashObject('commit', commits[at]!, SHA1))
        .executeTakeFirstOrThrow();
      expect({ ...row, author_time: Number(row.author_time), commit_time: Number(row.commit_time) }).toEqual({
        tree,
        pid: '[]',
        author: `Ünïcode ${at} <u@example.com> ${1_700_000_000 + at} +0100`,
        content: `${at} ${messages[at % messages.length]!}`,
        author_time: 1_700_000_000 + at,
        commit_time: 1_700_000_000 + at,
      });
    }
  });

  it('stores rows held for a COPY that never fills (fewer than its size, and fewer than 100)', async () => {
    const repo = await newRepo();
    for (const size of [2_001, 3_050, 99]) {
      const contents = blobs(`held ${size}`, 0, size);
      await write(repo, contents);
      expect(await count(repo, contents)).toEqual({ raw: size, members: size });
    }
  });

  it('keeps the row key of each object row the write inserted, where the database tells them', async () => {
    const { database } = getDb();
    const repo = await newRepo();
    const storedBefore = blobs('keyed before', 0, 3);
    await write(repo, storedBefore);
    // Past one flush of rows and past the per-id columns' first size (they grow).
    const fresh = blobs('keyed fresh', 0, 4500);
    const large = Buffer.alloc(200, 7);
    let written: WrittenRowKeys | undefined;
    await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId: repo,
        format: SHA1,
        largeObjectThreshold: 100,
        keepRowKeys: true,
        ...(database.runPreparedBatch ? { runPreparedBatch: database.runPreparedBatch } : {}),
      });
      for (const data of [...storedBefore, ...fresh, large]) await writer.addContent('blob', data);
      await writer.finish();
      written = writer.writtenRowKeys();
    });
    // Only the prepared path (SQLite) tells row keys; the clone walks look the others up.
    if (!database.runPreparedBatch) {
      expect(written).toBeUndefined();
      return;
    }
    const keyOf = (data: Buffer) => written!.rowKeyOf(Buffer.from(hashObject('blob', data, SHA1), 'hex'), 0);
    const ids = [...fresh, large].map((data) => hashObject('blob', data, SHA1));
    const rowOf = new Map<string, number>();
    for (let start = 0; start < ids.length; start += 1000) {
      const rows = await database.db
        .selectFrom('raw_objects')
        .select(['id', 'git_id'])
        .where('git_id', 'in', ids.slice(start, start + 1000))
        .execute();
      for (const row of rows) rowOf.set(row.git_id, Number(row.id));
    }
    expect([...fresh, large].map(keyOf)).toEqual(ids.map((id) => rowOf.get(id)));
    // Stored before: this write inserted no row of them. Never seen: none either.
    expect(storedBefore.map(keyOf)).toEqual([0, 0, 0]);
    expect(keyOf(Buffer.from('never written\n'))).toBe(0);
    // With each row its size's class (the large one in chunks too), none for the others.
    const classOf = (data: Buffer) =>
      written!.sizeClassOf(Buffer.from(hashObject('blob', data, SHA1), 'hex'), 0);
    expect([...fresh, large].map(classOf)).toEqual([...fresh, large].map((data) => sizeClassOf(data.length)));
    expect(classOf(large)).toBe(sizeClassOf(200));
    expect(storedBefore.map(classOf)).toEqual([0, 0, 0]);
  });

  it('numbers its ids in an index shared with others, whose other ids are no objects of the write', async () => {
    const { database } = getDb();
    const repo = await newRepo();
    const index = new DenseIdIndex(SHA1.rawLength);
    const raw = (data: Buffer) => Buffer.from(hashObject('blob', data, SHA1), 'hex');
    // Others number ids before, between and (many, past the writer's columns) after its own.
    const others = blobs('elsewhere', 0, 6000);
    index.add(raw(others[0]!), 0);
    const mine = blobs('mine', 0, 3);
    const later = blobs('later', 0, 5000);
    let written: WrittenRowKeys | undefined;
    const result = await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId: repo,
        format: SHA1,
        largeObjectThreshold: 1024 * 1024,
        keepRowKeys: true,
        ids: index,
        ...(database.runPreparedBatch ? { runPreparedBatch: database.runPreparedBatch } : {}),
      });
      await writer.addContent('blob', mine[0]!);
      index.add(raw(others[1]!), 0);
      await writer.addContent('blob', mine[1]!);
      for (const data of others.slice(2)) index.add(raw(data), 0);
      await writer.addContent('blob', mine[2]!);
      for (const data of later) index.add(raw(data), 0);
      const summary = await writer.finish();
      written = writer.writtenRowKeys();
      return summary;
    });
    const mineIds = mine.map((data) => hashObject('blob', data, SHA1));
    expect([...result.ids].sort()).toEqual([...mineIds].sort());
    expect(result.ids.has(hashObject('blob', others[1]!, SHA1))).toBe(false);
    const members = await database.db
      .selectFrom('repository_objects')
      .select('git_id')
      .where('repo_id', '=', repo)
      .execute();
    expect(members.map((row) => row.git_id).sort()).toEqual([...mineIds].sort());
    if (written) {
      expect(written.rowKeyOf(raw(others[5999]!), 0)).toBe(0);
      expect(written.sizeClassOf(raw(others[5999]!), 0)).toBe(0);
      expect(written.rowKeyOf(raw(later[4999]!), 0)).toBe(0);
      expect(written.sizeClassOf(raw(later[4999]!), 0)).toBe(0);
      expect(mine.map((data) => written!.rowKeyOf(raw(data), 0) > 0)).toEqual([true, true, true]);
    }
  });

  it('inserts the rows whose keys it keeps by their ids, ids sharing their first 32 bits among them', async () => {
    const { database } = getDb();
    const runner = database.runPreparedBatch;
    if (!runner) return;
    const repo = await newRepo();
    // Made-up ids: the writer takes the id it is given. Three share their first eight digits.
    const ids = ['ffffffff', '0000000a', 'aaaaaaaa', 'aaaaaaab', '12345678', 'aaaaaaaa', 'aaaaaaaa'].map(
      (prefix, at) => parseObjectId(prefix + String(at).repeat(32)),
    );
    const inserted: string[] = [];
    let written: WrittenRowKeys | undefined;
    await database.db.transaction().execute(async (trx) => {
      const writer = new ObjectWriter(trx, database.capabilities, {
        repoId: repo,
        format: SHA1,
        largeObjectThreshold: 1 << 20,
        keepRowKeys: true,
        runPreparedBatch: (statement, rows, told) => {
          // A statement's rows follow one another in its parameters, each its columns' values.
          const width = Object.keys(RAW_OBJECT_COLUMNS).length;
          if (told)
            for (const row of rows)
              for (let at = 0; at < row.length; at += width) inserted.push(row[at] as string);
          runner(statement, rows, told);
        },
      });
      for (const [at, id] of ids.entries()) {
        const data = Buffer.from(`object ${at}\n`);
        const flushing = writer.add({ id, type: 'blob', data, raw: Buffer.from(`raw ${at}`) });
        if (flushing) await flushing;
      }
      await writer.finish();
      written = writer.writtenRowKeys();
    });
    expect(inserted.map((id) => id.slice(0, 8))).toEqual([...ids.map((id) => id.slice(0, 8))].sort());
    const rows = await database.db
      .selectFrom('raw_objects')
      .select(['id', 'git_id'])
      .where('git_id', 'in', ids)
      .execute();
    const rowOf = new Map(rows.map((row) => [row.git_id, Number(row.id)]));
    expect(ids.map((id) => written!.rowKeyOf(Buffer.from(id, 'hex'), 0))).toEqual(
      ids.map((id) => rowOf.get(id)),
    );
  });
});
