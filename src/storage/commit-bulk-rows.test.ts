import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBulkExecutePacket, encodeBulkExecuteRows } from './dialect/mysql-bulk-execute.js';
import { commitBulkRows, type CommitRowValues } from './commit-bulk-rows.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const NOW = '2026-12-07T20:00:00.000Z';

/** Texts a commit's parents, idents or message may hold: lengths around each length code, non-ASCII. */
const TEXTS = [
  '',
  'a',
  'x'.repeat(127),
  'x'.repeat(128),
  'x'.repeat(250),
  'x'.repeat(251),
  'é'.repeat(63) + 'a', // 64 characters, 127 bytes
  'é'.repeat(64), // 64 characters, 128 bytes
  '日本語のコミット',
  '\u{1F600} smile', // a surrogate pair: four bytes
  'lone \uD800 high surrogate',
  'lone \uDC00 low surrogate',
  'ends in a high surrogate \uD83D',
  'NUL \u0000 inside',
  '\u007f\u0080 at the edge of ASCII',
  'y'.repeat(65_535),
  'z'.repeat(65_536),
  'é'.repeat(40_000),
];

function commitRows(idBytes: number, count: number): CommitRowValues[] {
  return Array.from({ length: count }, (_, at): CommitRowValues => {
    const text = (offset: number) => TEXTS[(at + offset) % TEXTS.length]!;
    return [
      hex(idBytes),
      at % 9 === 4 ? text(0) : hex(idBytes),
      at % 3 === 0 ? JSON.stringify([hex(idBytes), hex(idBytes)]) : JSON.stringify([text(1)]),
      `A U Thor <a@example.com> ${at} +0000 ${text(2)}`,
      text(3),
      text(at),
      at % 4 === 0 ? 0 : 999_999_999_999_999 - at,
      at % 5 === 0 ? -1 - at : 2 ** 40 + at,
      NOW,
      NOW,
    ];
  });
}

/** The packet the generic encoder makes of the rows' plain values (its header's 4 bytes left out). */
const generic = (rows: CommitRowValues[]) => encodeBulkExecutePacket(5, 10, rows.flat())!.subarray(4);
const encoded = (rows: CommitRowValues[]) => encodeBulkExecuteRows(5, commitBulkRows(rows))!.subarray(4);

describe('commitBulkRows', () => {
  it.each([
    ['SHA-1', 20],
    ['SHA-256', 32],
  ])('makes the bulk execute the generic encoder makes of the rows (%s ids)', (_, idBytes) => {
    const rows = commitRows(idBytes, 3 * TEXTS.length);
    expect(encoded(rows).equals(generic(rows))).toBe(true);
    expect(commitBulkRows(rows).values()).toEqual(rows.flat());
  });

  it('does so for each hostile text alone in every text column', () => {
    for (const text of TEXTS) {
      const row: CommitRowValues = [text, text, text, text, text, text, 0, 1, text, text];
      expect(encoded([row]).equals(generic([row]))).toBe(true);
    }
  });

  it('does so for the rows of a batch like the bench pack’s (ASCII, short messages)', () => {
    const rows = Array.from({ length: 200 }, (_, at): CommitRowValues => {
      const ident = `Bench <bench@example.com> ${1_700_000_000 + at} +0000`;
      return [
        hex(20),
        hex(20),
        JSON.stringify([hex(20)]),
        ident,
        ident,
        `commit ${at}\n`,
        1_700_000_000 + at,
        1_700_000_000 + at,
        NOW,
        NOW,
      ];
    });
    expect(encoded(rows).equals(generic(rows))).toBe(true);
  });

  it('leaves rows too big for one packet to the caller, as the generic encoder does', () => {
    const message = 'm'.repeat(9 * 1024 * 1024);
    const rows = commitRows(20, 2).map(
      (row): CommitRowValues => [...row.slice(0, 5), message, ...row.slice(6)] as unknown as CommitRowValues,
    );
    expect(encodeBulkExecuteRows(5, commitBulkRows(rows))).toBeUndefined();
    expect(encodeBulkExecutePacket(5, 10, rows.flat())).toBeUndefined();
  });
});
