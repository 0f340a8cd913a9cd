import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { objectIdLiteral, rowKeyLiteral } from './copy-literals.js';

/** Compiles PostgreSQL statements without a server. */
const postgres = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const SHA1_ID = '0123456789abcdef0123456789abcdef01234567';
const SHA256_ID = '0123456789abcdef'.repeat(4);

describe('COPY literals', () => {
  it('writes object ids of both formats and row keys into the statement text', () => {
    const compiled =
      sql`select ${objectIdLiteral(SHA1_ID)}, ${objectIdLiteral(SHA256_ID)}, ${rowKeyLiteral(0)}, ${rowKeyLiteral(2 ** 53 - 1)}`.compile(
        postgres,
      );
    expect(compiled.sql).toBe(`select '${SHA1_ID}', '${SHA256_ID}', 0, 9007199254740991`);
    expect(compiled.parameters).toEqual([]);
  });

  it.each([
    ["'; drop table object_chunks; --"],
    [`${SHA1_ID.slice(0, 39)}'`],
    [SHA1_ID.toUpperCase()],
    [SHA1_ID.slice(0, 39)],
    [`${SHA1_ID}0`],
    [`${SHA1_ID}\n`],
    [`\n${SHA1_ID}`],
    [`${SHA1_ID.slice(0, 20)}\u0000${SHA1_ID.slice(21)}`],
    [SHA1_ID.replace('0', '٠')],
    [''],
    [42 as unknown as string],
    [undefined as unknown as string],
  ])('refuses the object id %j', (value) => {
    expect(() => objectIdLiteral(value)).toThrow(
      expect.objectContaining({ code: 'copy_literal', kind: 'invalid' }),
    );
  });

  it.each([
    [-1],
    [1.5],
    [Number.NaN],
    [Infinity],
    [2 ** 53],
    ['1' as unknown as number],
    [1n as unknown as number],
  ])('refuses the row key %s', (value) => {
    expect(() => rowKeyLiteral(value)).toThrow(
      expect.objectContaining({ code: 'copy_literal', kind: 'invalid' }),
    );
  });
});
