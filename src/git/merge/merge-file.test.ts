import { describe, expect, it } from 'vitest';
import { MAX_LINE_MERGE_BYTES, mergeFile } from './merge-file.js';
import { LineTable, lineHunks, splitKeepingEol } from './line-changes.js';

const text = (value: string): Buffer => Buffer.from(value);
const numbered = (count: number, prefix = 'line'): string =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i}\n`).join('');

describe('line hunks', () => {
  it('keeps terminators, so a line without its newline differs from the same line with one', () => {
    expect(splitKeepingEol(text('a\nb'))).toEqual([text('a\n'), text('b')]);
    const table = new LineTable();
    expect(
      lineHunks(table.intern(splitKeepingEol(text('a\nb'))), table.intern(splitKeepingEol(text('a\nb\n')))),
    ).toEqual([{ aStart: 1, aEnd: 2, bStart: 1, bEnd: 2 }]);
  });

  it('slides an insertion into repeated lines down to where git puts it', () => {
    const table = new LineTable();
    const a = table.intern(splitKeepingEol(text('x\n}\n}\ny\n')));
    const b = table.intern(splitKeepingEol(text('x\n}\n}\n}\ny\n')));
    expect(lineHunks(a, b)).toEqual([{ aStart: 3, aEnd: 3, bStart: 3, bEnd: 4 }]);
  });

  it('stays bounded on unrelated inputs: past the edit distance bound the middle is one hunk', () => {
    const table = new LineTable();
    const a = table.intern(splitKeepingEol(text(numbered(20_000, 'a'))));
    const b = table.intern(splitKeepingEol(text(numbered(20_000, 'b'))));
    expect(lineHunks(a, b)).toEqual([{ aStart: 0, aEnd: 20_000, bStart: 0, bEnd: 20_000 }]);
  });
});

describe('mergeFile', () => {
  it('takes the changed side when the other is unchanged, whatever the content', () => {
    const binary = Buffer.from([0, 1, 2]);
    expect(mergeFile(text('a\n'), text('a\n'), binary)).toEqual({ conflicts: 0, content: binary });
    expect(mergeFile(binary, Buffer.from([0, 9]), binary).conflicts).toBe(0);
  });

  it('does not line-merge binary content changed on both sides, nor inputs over the size bound', () => {
    expect(mergeFile(text('a\n'), Buffer.from([0, 1]), Buffer.from([0, 2]))).toMatchObject({
      conflicts: 1,
      unmerged: 'binary',
    });
    const big = Buffer.alloc(MAX_LINE_MERGE_BYTES / 2, 'x');
    expect(mergeFile(big, Buffer.concat([big, text('o')]), Buffer.concat([big, text('t')]))).toMatchObject({
      conflicts: 1,
      unmerged: 'too_large',
    });
  });

  it('merges many disjoint edits of a long file', () => {
    const base = numbered(5000);
    const ours = base.replace('line 10\n', 'ten\n').replace('line 4000\n', 'four thousand\n');
    const theirs = base.replace('line 2000\n', 'two thousand\n');
    const merged = mergeFile(text(base), text(ours), text(theirs));
    expect(merged.conflicts).toBe(0);
    expect(merged.content.toString()).toBe(ours.replace('line 2000\n', 'two thousand\n'));
  });

  it('writes bare markers without labels, and CRLF markers for CRLF content', () => {
    expect(mergeFile(text('a\n'), text('b\n'), text('c\n')).content.toString()).toBe(
      '<<<<<<<\nb\n=======\nc\n>>>>>>>\n',
    );
    expect(
      mergeFile(text('a\r\n'), text('b\r\n'), text('c\r\n'), {
        oursLabel: 'o',
        theirsLabel: 't',
      }).content.toString(),
    ).toBe('<<<<<<< o\r\nb\r\n=======\r\nc\r\n>>>>>>> t\r\n');
  });
});
