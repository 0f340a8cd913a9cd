import type * as Mysql2 from 'mysql2';
import { createConnection } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkInserter, type BulkColumns } from '../bulk-insert.js';
import { RAW_OBJECT_COLUMNS } from '../object-writer.js';
import { binaryInsertPool } from './mysql-binary-inserts.js';
import {
  announceBulkOperations,
  EncodedBulkRows,
  encodeBulkExecutePacket,
  encodeBulkExecuteRows,
  singleRowInsert,
  takesBulkExecute,
} from './mysql-bulk-execute.js';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { serviceAvailable } from '../../../tests/support/services.js';
import { queryThroughPool } from '../../../tests/support/mysql-pool.js';

const tuples = (rows: number, width: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');

describe('singleRowInsert', () => {
  it('turns a multi-row VALUES insert into its one-row statement, keeping what follows the tuples', () => {
    const head = 'insert ignore into `t` (`a`, `b`, `c`) values ';
    expect(singleRowInsert(head + tuples(3, 3), 9, 2)).toEqual({ statement: head + '(?, ?, ?)', width: 3 });
    expect(singleRowInsert(head + tuples(2, 3) + ' on duplicate key update `a` = `a`', 6, 2)).toEqual({
      statement: head + '(?, ?, ?) on duplicate key update `a` = `a`',
      width: 3,
    });
    expect(singleRowInsert('insert into `t` (`a`) values ' + tuples(5, 1), 5, 5)?.width).toBe(1);
  });

  it('leaves alone fewer rows than asked, counts that do not match, and other statements', () => {
    const head = 'insert into `t` (`a`, `b`) values ';
    expect(singleRowInsert(head + tuples(3, 2), 6, 4)).toBeUndefined();
    expect(singleRowInsert(head + tuples(3, 2), 5, 1)).toBeUndefined();
    expect(singleRowInsert(head + tuples(3, 2), 4, 1)).toBeUndefined();
    expect(singleRowInsert(head + '(?, ?), (?, 1)', 3, 1)).toBeUndefined();
    expect(singleRowInsert(head + '(?, 1), (?, 1)', 2, 1)).toBeUndefined();
    expect(singleRowInsert('insert into `t` (`a`) select `a` from `u` where `b` = ?', 1, 1)).toBeUndefined();
  });
});

describe('encodeBulkExecutePacket', () => {
  it('writes the types once, then per value its indicator and binary form', () => {
    const packet = encodeBulkExecutePacket(7, 3, ['ab', 5, Buffer.from([9]), null, -1, null])!;
    const expected = Buffer.from([
      ...[0, 0, 0, 0], // header, written by the connection
      0xfa,
      ...[7, 0, 0, 0],
      ...[128, 0], // the types follow
      ...[0xfc, 0, 0x08, 0, 0xfc, 0], // strings are declared as blobs
      ...[0, 2, 0x61, 0x62], // 'ab'
      ...[0, 5, 0, 0, 0, 0, 0, 0, 0], // 5
      ...[0, 1, 9], // one byte
      1, // NULL
      ...[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // -1
      1, // NULL
    ]);
    expect(packet.equals(expected)).toBe(true);
  });

  it('writes strings as UTF-8 with their byte length, ASCII or not, short or long', () => {
    const strings = [
      '',
      'x'.repeat(127),
      'x'.repeat(128),
      'y'.repeat(300),
      'ä',
      '日本😀',
      `a${'é'.repeat(90)}`,
    ];
    const packet = encodeBulkExecutePacket(2, 1, strings)!;
    const values = strings.map((text) => {
      const bytes = Buffer.from(text, 'utf8');
      const length = bytes.length < 251 ? [bytes.length] : [0xfc, bytes.length & 0xff, bytes.length >> 8];
      return [0, ...length, ...bytes];
    });
    expect([...packet.subarray(13)]).toEqual(values.flat());
  });

  it('sends a column of NULLs only as strings, declared as blobs', () => {
    const packet = encodeBulkExecutePacket(1, 1, [null, null])!;
    expect([...packet.subarray(11)]).toEqual([0xfc, 0, 1, 1]);
  });

  it('refuses columns of mixed or unknown kinds and packets that would need splitting', () => {
    expect(encodeBulkExecutePacket(1, 2, ['a', 1, 2, 2])).toBeUndefined();
    expect(encodeBulkExecutePacket(1, 1, [1.5])).toBeUndefined();
    expect(encodeBulkExecutePacket(1, 1, [2n])).toBeUndefined();
    expect(encodeBulkExecutePacket(1, 1, [undefined])).toBeUndefined();
    expect(encodeBulkExecutePacket(1, 1, [new Date(0)])).toBeUndefined();
    const big = Buffer.alloc(9 * 1024 * 1024);
    expect(encodeBulkExecutePacket(1, 1, [big, big])).toBeUndefined();
  });
});

/** A stand-in for mysql2's client handshake command: the two steps that send the client's flags. */
function fakeHandshakeClass() {
  class FakeHandshake {
    sent: number[] = [];
    constructor(
      public mariadbExtendedClientFlags: number,
      public handshake: { mariadbExtendedCapabilityFlags: number },
    ) {}
    sendSSLRequest(_connection: object) {
      this.sent.push(this.mariadbExtendedClientFlags);
    }
    sendCredentials(_connection: object) {
      this.sent.push(this.mariadbExtendedClientFlags);
    }
  }
  return FakeHandshake;
}

describe('announceBulkOperations', () => {
  it('adds the capability where the server offers it and MariaDB capabilities are negotiated', () => {
    const Handshake = fakeHandshakeClass();
    announceBulkOperations(Handshake);
    announceBulkOperations(Handshake); // once per class
    const connection = {};
    const offered = new Handshake(8, { mariadbExtendedCapabilityFlags: 4 | 8 });
    offered.sendCredentials(connection);
    expect(offered.sent).toEqual([8 | 4]);
    expect(takesBulkExecute(connection)).toBe(true);

    for (const [negotiated, offers] of [
      [0, 4 | 8], // mysql2 did not negotiate (MySQL, or an older MariaDB)
      [8, 8], // the server does not offer bulk operations
    ] as const) {
      const other = {};
      const handshake = new Handshake(negotiated, { mariadbExtendedCapabilityFlags: offers });
      handshake.sendSSLRequest(other);
      expect(handshake.sent).toEqual([negotiated]);
      expect(takesBulkExecute(other)).toBe(false);
    }
  });

  it('leaves a handshake class without the expected steps alone', () => {
    class Other {}
    announceBulkOperations(Other);
    announceBulkOperations(undefined);
    expect(Object.getOwnPropertyNames(Other.prototype)).toEqual(['constructor']);
  });
});

/** A connection marked as bulk-capable that records what it is asked to run. */
function recordingBulkConnection(bulk: boolean) {
  const calls: string[] = [];
  const connection = {
    config: { clientFlags: 0 },
    serverCapabilityFlags: 0,
    clientEncoding: 'utf8',
    writePacket: () => undefined,
    _resetSequenceId: () => undefined,
    addCommand: (command: { packet: Buffer; callback: (e: unknown, r: unknown) => void }) => {
      calls.push(`packet 0x${command.packet[4]!.toString(16)}`);
      command.callback(null, { affectedRows: 1 });
    },
    prepare: (statement: string, callback: (e: unknown, prepared: unknown) => void) => {
      calls.push(`prepare ${statement.split('?').length - 1}`);
      callback(null, { id: 1, parameters: Array.from({ length: statement.split('?').length - 1 }) });
    },
    execute: (_s: string, _p: unknown[], callback: (e: unknown, r: unknown) => void) => {
      calls.push('execute');
      callback(null, { affectedRows: 1 });
    },
    query: (_s: string, _p: unknown[], callback?: (e: unknown, r: unknown) => void) => {
      calls.push('text');
      callback?.(null, []);
    },
    release: () => undefined,
  };
  if (bulk) {
    const Handshake = fakeHandshakeClass();
    announceBulkOperations(Handshake);
    new Handshake(8, { mariadbExtendedCapabilityFlags: 4 }).sendCredentials(connection);
  }
  const pool = {
    getConnection: (callback: (e: unknown, c: unknown) => void) => callback(null, connection),
    end: (callback: (e: unknown) => void) => callback(null),
  };
  return { pool: binaryInsertPool(pool as unknown as Mysql2.Pool), calls };
}

describe('binaryInsertPool with bulk operations', () => {
  const insert = (rows: number) => 'insert ignore into `t` (`a`, `b`) values ' + tuples(rows, 2);
  const values = (rows: number, b: (row: number) => unknown) =>
    Array.from({ length: rows }, (_, row) => [`id ${row}`, b(row)]).flat();

  it('runs an insert of 100 rows or more as one bulk execute of its one-row statement', async () => {
    const { pool, calls } = recordingBulkConnection(true);
    await queryThroughPool(
      pool,
      insert(100),
      values(100, (row) => row),
    );
    await queryThroughPool(
      pool,
      insert(150),
      values(150, () => Buffer.from([1])),
    );
    expect(calls).toEqual(['prepare 2', 'packet 0xfa', 'prepare 2', 'packet 0xfa']);
  });

  it('keeps the statements it had for fewer rows, for values the bulk form does not take, and without the capability', async () => {
    const marked = recordingBulkConnection(true);
    await queryThroughPool(
      marked.pool,
      insert(99),
      values(99, (row) => row),
    );
    await queryThroughPool(
      marked.pool,
      insert(100),
      values(100, (row) => (row === 0 ? 'x' : row)),
    );
    await queryThroughPool(
      marked.pool,
      insert(100),
      values(100, (row) => (row === 0 ? 'x' : Buffer.from([row]))),
    );
    expect(marked.calls).toEqual(['text', 'prepare 2', 'text', 'prepare 2', 'prepare 200', 'packet 0x17']);
    const unmarked = recordingBulkConnection(false);
    await queryThroughPool(
      unmarked.pool,
      insert(100),
      values(100, (row) => row),
    );
    expect(unmarked.calls).toEqual(['text']);
  });

  it('sends rows already encoded as one bulk execute, or as the multi-row statement of their values', async () => {
    const rows = values(100, (row) => row);
    const plain = encodeBulkExecutePacket(1, 2, rows)!;
    const encoded = () =>
      new EncodedBulkRows(
        plain.subarray(11, 15).filter((_, at) => at % 2 === 0),
        plain.subarray(15),
        () => rows,
      );
    expect(encodeBulkExecuteRows(1, encoded())!.subarray(4)).toEqual(plain.subarray(4));
    const marked = recordingBulkConnection(true);
    await queryThroughPool(marked.pool, insert(1), [encoded()]);
    expect(marked.calls).toEqual(['prepare 2', 'packet 0xfa']);
    const unmarked = recordingBulkConnection(false);
    await queryThroughPool(unmarked.pool, insert(1), [encoded()]);
    expect(unmarked.calls).toEqual(['text']);
  });

  it('tells whether the connection it handed out announced bulk operations', async () => {
    const marked = recordingBulkConnection(true);
    expect(marked.pool.takesBulkExecute()).toBe(false);
    await queryThroughPool(marked.pool, 'select 1', []);
    expect(marked.pool.takesBulkExecute()).toBe(true);
    const unmarked = recordingBulkConnection(false);
    await queryThroughPool(unmarked.pool, 'select 1', []);
    expect(unmarked.pool.takesBulkExecute()).toBe(false);
  });
});

const MYSQL = await serviceAvailable('mysql');

describe.skipIf(!MYSQL)('bulk executes on MariaDB', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase('mysql');
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it('is what the connections of an opened database announce', async () => {
    const connection = createConnection({ uri: scratch.url });
    await new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(error) : resolve())),
    );
    try {
      expect(takesBulkExecute(connection)).toBe(true);
    } finally {
      connection.destroy();
    }
  });

  it('lets an opened database insert membership as rows once a connection took bulk executes', async () => {
    const { db, capabilities } = scratch.database;
    await db.selectFrom('repositories').select('id').execute();
    expect(capabilities.bulkRowInserts?.()).toBe(true);
  });

  it('stores every value kind of object rows in a transaction, skipping stored and repeated keys', async () => {
    const columns: BulkColumns<'raw_objects'> = { ...RAW_OBJECT_COLUMNS, path: 'text' };
    const id = (n: number) => 'e' + String(n).padStart(39, '0');
    const row = (n: number) => [
      id(n),
      'blob',
      'database',
      n === 1 ? 2 ** 53 - 1 : n,
      n % 2 ? null : id(n + 1000),
      n === 2 ? 2 ** 31 - 1 : n % 7,
      n === 3 ? 2 ** 40 + 7 : n,
      n === 4
        ? null
        : n === 5
          ? Buffer.alloc(0)
          : n === 6
            ? Buffer.alloc(1024 * 1024 + 3, 0xab)
            : Buffer.from([n & 0xff, 0, 0xff]),
      n === 8 ? 'ä/日本/😀' : n % 3 ? null : '',
    ];
    const { db } = scratch.database;
    const inserter = new BulkInserter(scratch.database.capabilities, 'raw_objects', columns);
    await inserter.insertIgnore(
      db,
      Array.from({ length: 120 }, (_, n) => row(n)),
    );
    const later = Array.from({ length: 300 }, (_, n) => row(n));
    await db.transaction().execute(async (trx) => {
      // Rows stored before, and a row twice in one statement, are skipped (the first kept).
      await new BulkInserter(scratch.database.capabilities, 'raw_objects', columns).insertIgnore(trx, [
        ...later,
        [...row(299).slice(0, 3), 1, ...row(299).slice(4)],
      ]);
    });
    const stored = await db.selectFrom('raw_objects').selectAll().orderBy('git_id').execute();
    expect(stored).toHaveLength(300);
    for (const [n, got] of stored.entries()) {
      const expected = row(n);
      expect([got.git_id, got.object_type, got.storage_type, Number(got.size), got.delta_base]).toEqual(
        expected.slice(0, 5),
      );
      expect([Number(got.delta_depth), Number(got.payload_size), got.path]).toEqual([
        expected[5],
        expected[6],
        expected[8],
      ]);
      if (expected[7] === null) expect(got.data).toBeNull();
      else expect(Buffer.from(got.data!).equals(expected[7] as Buffer)).toBe(true);
    }
    // Strings go declared as bytes; they are stored as the column's text, found by a text parameter.
    const found = await db
      .selectFrom('raw_objects')
      .select('git_id')
      .where('path', '=', 'ä/日本/😀')
      .execute();
    expect(found.map((r) => r.git_id)).toEqual([id(8)]);
  });
});
