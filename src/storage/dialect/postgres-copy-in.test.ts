import { PassThrough } from 'node:stream';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { serviceAvailable } from '../../../tests/support/services.js';
import type { Database } from '../database.js';
import { encodeCopyBinary, encodeCopyBinaryPieces } from './copy-binary-encoder.js';
import { PostgresCopyIn } from './postgres-copy-in.js';

const COPY = 'copy "repository_objects" ("repo_id", "git_id") from stdin (format binary)';
const DATA = encodeCopyBinary(['bigint', 'text'], [[1, 'a'.repeat(40)]]);

/** node-postgres's connection as the query object sees it, recording what it is asked. */
function fakeConnection() {
  const calls: string[] = [];
  return {
    calls,
    query: (text: string) => calls.push(`query ${text}`),
    sendCopyFromChunk: (chunk: Buffer) => calls.push(`data ${chunk.length}`),
    endCopyFrom: () => calls.push('done'),
    sendCopyFail: () => calls.push('copy fail'),
  };
}

describe('PostgresCopyIn (protocol)', () => {
  it.each([
    ['a COPY to us', 'copy (select 1) to stdout (format binary)', [DATA]],
    ['a text COPY', 'copy "t" ("a") from stdin', [DATA]],
    ['a COPY from a server file', `copy "t" ("a") from '/etc/passwd' (format binary)`, [DATA]],
    ['a statement after the COPY', `${COPY}; drop table raw_objects`, [DATA]],
    ['an unquoted name', 'copy t (a) from stdin (format binary)', [DATA]],
    ['no data', COPY, []],
    ['data that is not a Buffer', COPY, ['PGCOPY']],
    ['data in an array', COPY, [[DATA]]],
    ['two parameters', COPY, [DATA, DATA]],
  ])('refuses %s', (_name, text, parameters) => {
    expect(() => new PostgresCopyIn(text, parameters)).toThrow(
      expect.objectContaining({ code: 'copy_statement' }),
    );
  });

  it('sends its data in messages of at most 1 MiB, then the end, and resolves once the server is ready', async () => {
    const connection = fakeConnection();
    const copy = new PostgresCopyIn(COPY, [Buffer.alloc(2 * 1024 * 1024 + 3)]);
    copy.submit(connection);
    const reading = copy.read();
    copy.handleCopyInResponse(connection);
    copy.handleCommandComplete();
    copy.handleReadyForQuery();
    expect(await reading).toEqual([]);
    expect(connection.calls).toEqual([`query ${COPY}`, 'data 1048576', 'data 1048576', 'data 3', 'done']);
    await copy.close();
  });

  it('sends pieces as the socket drains, and stops when the COPY ends meanwhile', async () => {
    const connection = fakeConnection();
    const socket = new PassThrough({ highWaterMark: 10 });
    const sent: number[] = [];
    const made: number[] = [];
    function* pieces() {
      for (const size of [30, 20, 10, 5]) {
        made.push(size);
        yield Buffer.alloc(size);
      }
    }
    const copy = new PostgresCopyIn(COPY, [pieces()]);
    // On a socket each piece goes as a CopyData message written straight to it.
    const watched = { ...connection, stream: socket };
    const received: Buffer[] = [];
    const drain = () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk) received.push(chunk);
    };
    copy.submit(watched);
    const reading = copy.read().then(
      () => undefined,
      (error: unknown) => error,
    );
    copy.handleCopyInResponse(watched);
    // The first piece filled the socket: the next is not made until it drains.
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toEqual([30]);
    drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toEqual([30, 20]);
    // The server fails the COPY (a stored key): nothing more is made or sent, no CopyDone.
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    copy.handleError(error);
    drain();
    await new Promise((resolve) => setImmediate(resolve));
    drain();
    const data = Buffer.concat(received);
    for (let at = 0; at < data.length;) {
      expect(data[at]).toBe(0x64);
      const length = data.readInt32BE(at + 1);
      sent.push(length - 4);
      at += 1 + length;
    }
    expect(sent).toEqual([30, 20]);
    expect(connection.calls).toEqual([`query ${COPY}`]);
    expect(await reading).toBe(error);
  });

  it('ends the COPY with CopyFail when a piece cannot be made, and rejects with that error', async () => {
    const connection = fakeConnection();
    const copy = new PostgresCopyIn(COPY, [
      (function* () {
        yield DATA;
        throw new Error('no more');
      })(),
    ]);
    copy.submit(connection);
    const reading = copy.read().then(
      () => undefined,
      (error: unknown) => error,
    );
    copy.handleCopyInResponse(connection);
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.calls).toEqual([`query ${COPY}`, `data ${DATA.length}`, 'copy fail']);
    // The server answers the CopyFail with its own error; ours is the one reported.
    copy.handleError(new Error('COPY from stdin failed: no more'));
    copy.handleReadyForQuery();
    expect(await reading).toMatchObject({ message: 'no more' });
  });

  it('rejects reads with the server error, and closes once the connection is free', async () => {
    const copy = new PostgresCopyIn(COPY, [DATA]);
    copy.submit(fakeConnection());
    const closing = copy.close();
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    copy.handleError(error);
    await closing;
    await expect(copy.read()).rejects.toBe(error);
  });
});

const postgresUp = await serviceAvailable('postgres');

describe.skipIf(!postgresUp)('PostgresCopyIn [postgres]', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase('postgres');
  });
  afterAll(async () => {
    await scratch?.drop();
  });
  const db = () => scratch.database.db;
  const copyIn = async (on: Kysely<Database>, data: Buffer) => {
    for await (const result of on.getExecutor().stream(CompiledQuery.raw(COPY, [data]), 1))
      expect(result.rows).toEqual([]);
  };
  const members = (repoId: number) =>
    db()
      .selectFrom('repository_objects')
      .select('git_id')
      .where('repo_id', '=', repoId)
      .orderBy('git_id')
      .execute()
      .then((rows) => rows.map((row) => row.git_id));
  const serverPid = (on: Kysely<Database>) =>
    sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(on).then((result) => result.rows[0]!.pid);

  it('copies rows sent as many pieces, waiting for the socket between them', async () => {
    const ids = Array.from({ length: 20_000 }, (_, n) => n.toString(16).padStart(40, '0'));
    const pieces = encodeCopyBinaryPieces(
      ['bigint', 'text'],
      ids.map((id) => [13, id]),
      4096,
    );
    for await (const result of db()
      .getExecutor()
      .stream(CompiledQuery.raw(COPY, [pieces]), 1))
      expect(result.rows).toEqual([]);
    expect(await members(13)).toEqual(ids);
  });

  it('copies rows from us', async () => {
    const ids = ['a', 'b', 'c'].map((c) => c.repeat(40));
    await copyIn(
      db(),
      encodeCopyBinary(
        ['bigint', 'text'],
        ids.map((id) => [11, id]),
      ),
    );
    expect(await members(11)).toEqual(ids);
  });

  it.each([
    [
      'a value the column refuses (NUL in text)',
      encodeCopyBinary(
        ['bigint', 'text'],
        [
          [12, 'a'.repeat(40)],
          [12, 'b\u0000'],
        ],
      ),
    ],
    ['a stream cut short', encodeCopyBinary(['bigint', 'text'], [[12, 'c'.repeat(40)]]).subarray(0, 40)],
    ['a wrong field count', encodeCopyBinary(['bigint'], [[12]])],
    ['garbage', Buffer.from('not a copy stream')],
  ])(
    'fails on %s mid-COPY: the transaction keeps nothing and the connection stays usable',
    async (_name, data) => {
      await db()
        .connection()
        .execute(async (connection) => {
          const pid = await serverPid(connection);
          await expect(
            connection.transaction().execute(async (trx) => {
              await copyIn(trx, encodeCopyBinary(['bigint', 'text'], [[12, 'd'.repeat(40)]]));
              await copyIn(trx, data);
            }),
          ).rejects.toThrow();
          expect(await serverPid(connection)).toBe(pid);
        });
      expect(await members(12)).toEqual([]);
    },
  );
});
