import { describe, expect, it } from 'vitest';
import { CopyBinaryDecoder, type CopyTuple } from './copy-binary-decoder.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function header(flags = 0, extension = Buffer.alloc(0)): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32BE(flags, 0);
  fixed.writeInt32BE(extension.length, 4);
  return Buffer.concat([SIGNATURE, fixed, extension]);
}

function int16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeInt16BE(value);
  return bytes;
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

function tuple(...fields: (Buffer | null)[]): Buffer {
  return Buffer.concat([
    int16(fields.length),
    ...fields.flatMap((field) => (field ? [int32(field.length), field] : [int32(-1)])),
  ]);
}

const TRAILER = int16(-1);

function decode(messages: readonly Buffer[]): CopyTuple[] {
  const decoder = new CopyBinaryDecoder();
  const tuples: CopyTuple[] = [];
  for (const message of messages) decoder.push(message, (t) => tuples.push(t));
  decoder.finish();
  return tuples;
}

const seq = int32(7);
const slice = Buffer.from('slice of a chunk row');
const WHOLE = Buffer.concat([
  header(),
  tuple(seq, slice),
  tuple(int32(8), Buffer.alloc(0)),
  tuple(null),
  TRAILER,
]);
const EXPECTED = [[seq, slice], [int32(8), Buffer.alloc(0)], [null]];

describe('CopyBinaryDecoder', () => {
  it('decodes the header, tuples (empty and NULL fields) and the trailer of one message', () => {
    expect(decode([WHOLE])).toEqual(EXPECTED);
  });

  it('decodes PostgreSQL’s framing: the header with the first tuple, the trailer alone', () => {
    const messages = [
      Buffer.concat([header(), tuple(seq, slice)]),
      tuple(int32(8), Buffer.alloc(0)),
      tuple(null),
      TRAILER,
    ];
    expect(decode(messages)).toEqual(EXPECTED);
  });

  it('decodes the same bytes cut at every offset into two messages', () => {
    for (let cut = 0; cut <= WHOLE.length; cut++) {
      expect(decode([WHOLE.subarray(0, cut), WHOLE.subarray(cut)])).toEqual(EXPECTED);
    }
  });

  it('decodes the same bytes one byte per message', () => {
    expect(decode([...WHOLE].map((byte) => Buffer.from([byte])))).toEqual(EXPECTED);
  });

  it('skips a header extension', () => {
    const bytes = Buffer.concat([header(0, Buffer.from('future')), tuple(slice), TRAILER]);
    expect(decode([bytes])).toEqual([[slice]]);
    expect(decode([bytes.subarray(0, 20), bytes.subarray(20)])).toEqual([[slice]]);
  });

  it('hands over copies: a message reused by the driver does not change decoded fields', () => {
    const message = Buffer.concat([header(), tuple(slice), TRAILER]);
    const decoder = new CopyBinaryDecoder();
    const tuples: CopyTuple[] = [];
    decoder.push(message, (t) => tuples.push(t));
    message.fill(0);
    expect(tuples).toEqual([[slice]]);
  });

  it.each([
    ['no signature', [Buffer.concat([Buffer.from('PGCOPY\nXX\r\n\0', 'latin1'), Buffer.alloc(8), TRAILER])]],
    ['text COPY', [Buffer.from('1\tabc\n2\tdef\n'.repeat(3))]],
    ['OIDs', [Buffer.concat([header(1 << 16), TRAILER])]],
    ['negative header extension length', [Buffer.concat([SIGNATURE, Buffer.alloc(4), int32(-5), TRAILER])]],
    ['negative field count', [Buffer.concat([header(), int16(-2), TRAILER])]],
    ['negative field length', [Buffer.concat([header(), int16(1), int32(-2), TRAILER])]],
    ['data after the trailer', [Buffer.concat([header(), TRAILER, tuple(slice)])]],
    ['data after the trailer, in the next message', [Buffer.concat([header(), TRAILER]), tuple(slice)]],
  ])('refuses %s', (_name, messages) => {
    expect(() => decode(messages)).toThrow(expect.objectContaining({ code: 'copy_malformed' }));
  });

  it.each([
    ['no trailer', [Buffer.concat([header(), tuple(slice)])]],
    ['a tuple cut short', [Buffer.concat([header(), tuple(slice).subarray(0, 9)])]],
    ['a field longer than the data', [Buffer.concat([header(), int16(1), int32(1_000_000), slice])]],
    ['a header cut short', [header().subarray(0, 12)]],
    ['nothing', []],
  ])('refuses an end with %s', (_name, messages) => {
    expect(() => decode(messages)).toThrow(expect.objectContaining({ code: 'copy_malformed' }));
  });
});
