import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../../tests/support/scratch-database.js';
import { serviceAvailable } from '../../../tests/support/services.js';
import type { Database } from '../database.js';
import { encodeCopyBinary } from './copy-binary-encoder.js';
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
