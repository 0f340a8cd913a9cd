import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExecutePacket, MAX_PACKET_PAYLOAD } from './mysql-execute-packet.js';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { serviceAvailable, SERVICES } from '../../../tests/support/services.js';

describe('encodeExecutePacket', () => {
  it('lays out COM_STMT_EXECUTE: statement id, no cursor, one iteration, NULL bitmap, types, values', () => {
    const packet = encodeExecutePacket(0x01020304, ['ab', null, -2, 1.5, Buffer.from([9, 0]), 'ä'])!;
    const expected = Buffer.from([
      // Header (length and sequence id are the connection's to write), COM_STMT_EXECUTE.
      ...[0, 0, 0, 0, 0x17],
      // Statement id (little-endian), flags, iteration count.
      ...[4, 3, 2, 1, 0, 1, 0, 0, 0],
      // NULL bitmap of 6 parameters (the second), new-params-bound flag.
      ...[0b10, 1],
      // Types: VAR_STRING, NULL, LONGLONG, DOUBLE, BLOB, VAR_STRING; all signed.
      ...[0xfd, 0, 0x06, 0, 0x08, 0, 0x05, 0, 0xfc, 0, 0xfd, 0],
      // 'ab'; nothing for NULL; -2 as 64 bits; 1.5 as a double; the bytes; 'ä' in UTF-8.
      ...[2, 0x61, 0x62],
      ...[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      ...[0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
      ...[2, 9, 0],
      ...[2, 0xc3, 0xa4],
    ]);
    expect(packet.subarray(4)).toEqual(expected.subarray(4));
    expect(packet.length).toBe(expected.length);
  });

  it('writes length-coded lengths of 1, 3, 4 bytes and integers up to 2^53', () => {
    for (const [length, prefix] of [
      [250, [250]],
      [251, [0xfc, 251, 0]],
      [65_535, [0xfc, 0xff, 0xff]],
      [65_536, [0xfd, 0, 0, 1]],
    ] as const) {
      const packet = encodeExecutePacket(1, [Buffer.alloc(length, 7)])!;
      const at = 4 + 10 + 1 + 1 + 2;
      expect([...packet.subarray(at, at + prefix.length)]).toEqual(prefix);
      expect(packet.length).toBe(at + prefix.length + length);
    }
    const packet = encodeExecutePacket(1, [2 ** 53 - 1, -(2 ** 40)])!;
    const at = 4 + 10 + 1 + 1 + 4;
    expect(packet.readBigInt64LE(at)).toBe(2n ** 53n - 1n);
    expect(packet.readBigInt64LE(at + 8)).toBe(-(2n ** 40n));
  });

  it('has no bitmap or types without parameters', () => {
    expect(encodeExecutePacket(5, [])).toEqual(Buffer.from([0, 0, 0, 0, 0x17, 5, 0, 0, 0, 0, 1, 0, 0, 0]));
  });

  it('leaves values it does not write, and packets that need splitting, to mysql2', () => {
    for (const value of [new Date(0), 1n, { a: 1 }, [1], true, undefined])
      expect(encodeExecutePacket(1, ['x', value])).toBeUndefined();
    expect(encodeExecutePacket(1, [Buffer.alloc(MAX_PACKET_PAYLOAD)])).toBeUndefined();
    expect(encodeExecutePacket(1, [Buffer.alloc(MAX_PACKET_PAYLOAD - 30)])).toBeDefined();
  });
});

describe.skipIf(!(await serviceAvailable('mysql')))('our execute packets on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase('mysql', { migrate: false });
    await sql`create table t (id bigint primary key, name varchar(50), data longblob, amount double)`.execute(
      scratch.database.db,
    );
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it('stores every value kind, reports affected rows, and surfaces the server errors', async () => {
    const { db } = scratch.database;
    const big = Buffer.alloc(100_000, 0xab);
    const inserted =
      await sql`insert into t (id, name, data, amount) values (${1}, ${'😀 ä'}, ${big}, ${0.25}), (${-(2 ** 53 - 1)}, ${null}, ${Buffer.alloc(0)}, ${null})`.execute(
        db,
      );
    expect(inserted.numAffectedRows).toBe(2n);
    const rows = await sql<{
      id: number;
      name: string | null;
      data: Buffer;
      amount: number | null;
    }>`select id, name, data, amount from t order by id`.execute(db);
    expect(rows.rows.map((row) => [Number(row.id), row.name, row.data.length, row.amount])).toEqual([
      [-(2 ** 53 - 1), null, 0, null],
      [1, '😀 ä', 100_000, 0.25],
    ]);
    expect(rows.rows[1]!.data.equals(big)).toBe(true);
    // A duplicate key: the server's error, and the connection goes on.
    await expect(
      sql`insert into t (id, name, data) values (${1}, ${'again'}, ${Buffer.from([1])})`.execute(db),
    ).rejects.toThrow(/Duplicate entry/);
    const ignored =
      await sql`insert ignore into t (id, data) values (${1}, ${Buffer.from([1])}), (${2}, ${Buffer.from([2])})`.execute(
        db,
      );
    expect(ignored.numAffectedRows).toBe(1n);
    // A value the encoder leaves to mysql2 (a Date) still goes by the binary protocol.
    await sql`insert into t (id, name, data) values (${3}, ${new Date(0)}, ${Buffer.from([3])})`.execute(db);
    const count = await sql<{ n: number }>`select count(*) as n from t`.execute(db);
    expect(Number(count.rows[0]!.n)).toBe(4);
  });

  it('runs statements of a transaction in order with the others, and rolls them back', async () => {
    const { db } = scratch.database;
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into t (id, data) values (${10}, ${Buffer.from([10])})`.execute(trx);
        const seen = await sql<{ n: number }>`select count(*) as n from t where id = 10`.execute(trx);
        expect(Number(seen.rows[0]!.n)).toBe(1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const after = await sql<{ n: number }>`select count(*) as n from t where id = 10`.execute(db);
    expect(Number(after.rows[0]!.n)).toBe(0);
  });

  it('fails, not hangs, when the server ends the connection in the middle of a transaction', async () => {
    const { db } = scratch.database;
    const admin = await createConnection({ uri: SERVICES.mysql.url });
    try {
      await expect(
        db.transaction().execute(async (trx) => {
          const [{ id }] = (await sql<{ id: number }>`select connection_id() as id`.execute(trx)).rows as [
            { id: number },
          ];
          await admin.query(`KILL ${Number(id)}`);
          await sql`insert into t (id, data) values (${20}, ${Buffer.from([20])})`.execute(trx);
        }),
      ).rejects.toThrow();
    } finally {
      await admin.end();
    }
    // The pool replaces the connection; nothing of the transaction was kept.
    const after = await sql<{ n: number }>`select count(*) as n from t where id = 20`.execute(db);
    expect(Number(after.rows[0]!.n)).toBe(0);
  });
});
