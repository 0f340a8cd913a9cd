import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { serviceAvailable } from '../../../tests/support/services.js';
import { chunkBytes, ObjectChunks } from '../object-chunks.js';
import { openDatabase } from '../open-database.js';
import type { Database } from '../database.js';
import type { CopyTuple } from './copy-binary-decoder.js';
import { PostgresCopyCursor } from './postgres-copy-cursor.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const COPY = 'copy (select 1) to stdout (format binary)';

function copyData(...fields: Buffer[]): { chunk: Buffer } {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(2);
  count.writeInt16BE(fields.length);
  parts.push(count);
  for (const field of fields) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(field.length);
    parts.push(length, field);
  }
  return { chunk: Buffer.concat(parts) };
}

const HEADER = { chunk: Buffer.concat([SIGNATURE, Buffer.alloc(8)]) };
const TRAILER = { chunk: Buffer.from([0xff, 0xff]) };

/** node-postgres's connection as the cursor sees it, recording what it is asked. */
function fakeConnection() {
  const calls: string[] = [];
  return {
    calls,
    query: (text: string) => calls.push(`query ${text}`),
    sendCopyFail: () => calls.push('copy fail'),
    stream: { pause: () => calls.push('pause'), resume: () => calls.push('resume') },
  };
}

describe('PostgresCopyCursor (protocol)', () => {
  it.each([
    ['a parameter', COPY, [1]],
    ['a select', 'select data from object_chunks', []],
    ['a text COPY', 'copy (select 1) to stdout', []],
    ['a COPY from the client', 'copy object_chunks from stdin (format binary)', []],
    ['a COPY to a server file', "copy (select 1) to '/tmp/x' (format binary)", []],
    ['a statement after a COPY', `${COPY}; drop table object_chunks`, []],
  ])('refuses %s', (_name, text, parameters) => {
    expect(() => new PostgresCopyCursor(text, parameters)).toThrow(
      expect.objectContaining({ code: 'copy_statement' }),
    );
  });

  it('pauses the socket past its high-water mark and resumes it once read', async () => {
    const connection = fakeConnection();
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(connection);
    cursor.handleCopyData(HEADER);
    const slice = randomBytes(64 * 1024);
    for (let i = 0; i < 9; i++) cursor.handleCopyData(copyData(slice));
    expect(connection.calls).toEqual([`query ${COPY}`, 'pause']);
    expect(await cursor.read(4)).toHaveLength(4);
    expect(connection.calls.at(-1)).toBe('resume');
    expect(await cursor.read(100)).toHaveLength(5);
    cursor.handleCopyData(TRAILER);
    cursor.handleCommandComplete();
    expect(await cursor.read(1)).toEqual([]);
    cursor.handleReadyForQuery();
    await cursor.close();
  });

  it('answers a waiting read when tuples arrive, and ends with the COPY', async () => {
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(fakeConnection());
    const first = cursor.read(10);
    cursor.handleCopyData({ chunk: Buffer.concat([HEADER.chunk, copyData(Buffer.from('a')).chunk]) });
    expect(await first).toEqual([[Buffer.from('a')]]);
    const last = cursor.read(10);
    cursor.handleCopyData(TRAILER);
    cursor.handleCommandComplete();
    expect(await last).toEqual([]);
  });

  it('closed early, drops the rest and resolves only when the connection is ready again', async () => {
    const connection = fakeConnection();
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(connection);
    cursor.handleCopyData(HEADER);
    for (let i = 0; i < 9; i++) cursor.handleCopyData(copyData(randomBytes(64 * 1024)));
    let closed = false;
    const closing = cursor.close().then(() => (closed = true));
    expect(connection.calls.at(-1)).toBe('resume');
    cursor.handleCopyData(copyData(Buffer.from('dropped')));
    cursor.handleCopyData(TRAILER);
    cursor.handleCommandComplete();
    await Promise.resolve();
    expect(closed).toBe(false);
    cursor.handleReadyForQuery();
    await closing;
    expect(await cursor.read(1)).toEqual([]);
  });

  it('fails reads on malformed data and still waits for the connection before closing', async () => {
    const connection = fakeConnection();
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(connection);
    const reading = cursor.read(1);
    cursor.handleCopyData({ chunk: Buffer.from('1\tnot binary\n') });
    await expect(reading).rejects.toMatchObject({ code: 'copy_malformed' });
    cursor.handleCopyData({ chunk: Buffer.from('2\tdropped\n') });
    cursor.handleCommandComplete();
    let closed = false;
    const closing = cursor.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    cursor.handleReadyForQuery();
    await closing;
  });

  it('fails reads on a COPY that ends before its trailer', async () => {
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(fakeConnection());
    cursor.handleCopyData(HEADER);
    cursor.handleCommandComplete();
    await expect(cursor.read(1)).rejects.toMatchObject({ code: 'copy_malformed' });
  });

  it('refuses to feed a COPY that asks for input', async () => {
    const connection = fakeConnection();
    const cursor = new PostgresCopyCursor(COPY, []);
    cursor.submit(connection);
    cursor.handleCopyInResponse(connection);
    expect(connection.calls.at(-1)).toBe('copy fail');
    await expect(cursor.read(1)).rejects.toMatchObject({ code: 'copy_statement' });
  });
});

const postgresUp = await serviceAvailable('postgres');

describe.skipIf(!postgresUp)('PostgresCopyCursor [postgres]', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase('postgres');
  });
  afterAll(async () => {
    await scratch?.drop();
  });
  const db = () => scratch.database.db;
  const capabilities = () => scratch.database.capabilities;
  const copyRows = async (on: Kysely<Database>, statement: string, limit = Infinity) => {
    const rows: CopyTuple[] = [];
    for await (const result of on.getExecutor().stream(sql.raw(statement).compile(on), 2)) {
      rows.push(...(result.rows as CopyTuple[]));
      if (rows.length >= limit) break;
    }
    return rows;
  };
  const serverPid = (on: Kysely<Database>) =>
    sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(on).then((result) => result.rows[0]!.pid);

  it('streams the tuples of a binary COPY as raw field bytes', async () => {
    const rows = await copyRows(
      db(),
      "copy (select n::int4, decode(repeat('ab', n), 'hex'), null::bytea from generate_series(0, 3) n) to stdout (format binary)",
    );
    expect(rows).toEqual(
      [0, 1, 2, 3].map((n) => {
        const seq = Buffer.alloc(4);
        seq.writeInt32BE(n);
        return [seq, Buffer.alloc(n, 0xab), null];
      }),
    );
  });

  it('leaves a connection usable after a reader that stops early', async () => {
    await db()
      .connection()
      .execute(async (connection) => {
        const pid = await serverPid(connection);
        const statement =
          "copy (select n::int4, decode(repeat(md5(n::text), 2048), 'hex') from generate_series(1, 200) n) to stdout (format binary)";
        expect((await copyRows(connection, statement, 1)).length).toBeGreaterThanOrEqual(1);
        // The same server process answers the next statement, and nothing of the COPY is left.
        expect(await serverPid(connection)).toBe(pid);
        expect(await copyRows(connection, statement)).toHaveLength(200);
      });
  });

  it('fails on a server error mid-COPY and leaves the connection usable', async () => {
    await db()
      .connection()
      .execute(async (connection) => {
        const pid = await serverPid(connection);
        await expect(
          copyRows(
            connection,
            'copy (select 1 / (n - 50) from generate_series(1, 100) n) to stdout (format binary)',
          ),
        ).rejects.toMatchObject({ message: expect.stringContaining('division by zero') });
        expect(await serverPid(connection)).toBe(pid);
      });
  });

  it('refuses a stream that is not a binary COPY', async () => {
    await expect(copyRows(db(), 'select 1')).rejects.toMatchObject({
      code: 'copy_statement',
    });
  });

  it('reads chunk rows written in the same transaction, and after the transaction rolled back reads none', async () => {
    const id = 'c'.repeat(40);
    const data = randomBytes(chunkBytes(capabilities()) * 5 + 7);
    const rolledBack = new Error('rolled back on purpose');
    await expect(
      db()
        .transaction()
        .execute(async (tx) => {
          const chunks = new ObjectChunks(tx, capabilities());
          await chunks.write(id, [data]);
          expect((await chunks.read(id)).equals(data)).toBe(true);
          throw rolledBack;
        }),
    ).rejects.toBe(rolledBack);
    await expect(new ObjectChunks(db(), capabilities()).read(id)).rejects.toMatchObject({
      code: 'object_missing',
    });
  });

  it('gives its one pooled connection back usable after a reader went away mid-object', async () => {
    const id = 'b'.repeat(40);
    const data = randomBytes(chunkBytes(capabilities()) * 9 + 5);
    await new ObjectChunks(db(), capabilities()).write(id, [data]);
    const single = openDatabase(scratch.url, { poolSize: 1 });
    try {
      const chunks = new ObjectChunks(single.db, capabilities());
      // What a clone whose client disconnects does to the object's stream.
      const stream = chunks.openRead(id);
      await once(stream, 'readable');
      stream.destroy();
      await once(stream, 'close');
      expect((await chunks.read(id)).equals(data)).toBe(true);
      await chunks.remove(id);
    } finally {
      await single.close();
    }
  });

  it.each([["'; drop table object_chunks; --"], ["' or '1'='1"], [`${'a'.repeat(39)}'`], ['A'.repeat(40)]])(
    'refuses the hostile id %j before any statement, and the table is intact',
    async (hostile) => {
      await expect(new ObjectChunks(db(), capabilities()).read(hostile)).rejects.toMatchObject({
        code: 'copy_literal',
      });
      const count = await sql<{ n: number }>`select count(*)::int as n from object_chunks`.execute(db());
      expect(count.rows[0]!.n).toBeGreaterThanOrEqual(0);
    },
  );
});
