import { describe, expect, it } from 'vitest';
import { decodePktLines, encodePktLine, PKT_LINE_MAX_PAYLOAD } from '../git/pkt-line.js';
import { PktLineReader } from '../git/pkt-line-reader.js';
import { codeOf } from '../../tests/support/mega-errors.js';
import {
  DataBody,
  dataPackets,
  errorReply,
  readLines,
  readRequest,
  statusReply,
} from './lfs-transfer-packets.js';

/** A reader over packets given as text lines (a LF added), `flush`, `delim` or raw bytes. */
function readerOf(...items: Array<string | Buffer>): PktLineReader {
  const bytes = items.map((item) => {
    if (Buffer.isBuffer(item)) return item;
    if (item === 'flush') return Buffer.from('0000');
    if (item === 'delim') return Buffer.from('0001');
    return encodePktLine(`${item}\n`);
  });
  return new PktLineReader(
    (async function* () {
      yield Buffer.concat(bytes);
    })(),
  );
}

describe('git-lfs-transfer requests', () => {
  it('reads a command, its arguments and whether a data section follows', async () => {
    const reader = readerOf('batch', 'transfer=ssh', 'refname=refs/heads/a b', 'delim', 'x 1', 'flush');
    const request = await readRequest(reader);
    expect(request).toEqual({
      command: 'batch',
      operand: undefined,
      args: new Map([
        ['transfer', 'ssh'],
        ['refname', 'refs/heads/a b'],
      ]),
      hasBody: true,
    });
    expect(await readLines(reader, 10)).toEqual(['x 1']);
    expect(await readRequest(reader)).toBeUndefined();
    const get = await readRequest(readerOf(`get-object ${'a'.repeat(64)}`, 'size=', 'flush'));
    expect(get).toMatchObject({ command: 'get-object', operand: 'a'.repeat(64), hasBody: false });
    expect(get?.args.get('size')).toBe('');
  });

  it.each([
    ['a flush for a command', ['flush']],
    ['a delim for a command', ['delim']],
    ['an upper-case command', ['BATCH', 'flush']],
    ['two operands', ['get-object a b', 'flush']],
    ['a control character', [`lock\u0007`, 'flush']],
    ['a NUL in an argument', ['lock', 'path=a\u0000b', 'flush']],
    ['an argument without =', ['lock', 'path', 'flush']],
    ['an empty key', ['lock', '=x', 'flush']],
    ['a key too long', ['lock', `${'k'.repeat(65)}=x`, 'flush']],
    ['a repeated argument', ['lock', 'path=a', 'path=a', 'flush']],
    ['33 arguments', ['lock', ...Array.from({ length: 33 }, (_, i) => `k${i}=v`), 'flush']],
    ['the end of input inside a request', ['lock', 'path=a']],
  ])('refuses %s', async (_name, items) => {
    expect(await codeOf(readRequest(readerOf(...items)))).toBe('lfs_transfer_protocol');
  });

  it('refuses bad pkt-lines and a batch body past its bound', async () => {
    expect(await codeOf(readRequest(readerOf(Buffer.from('zzzz'))))).toBe('pkt_line_bad_hex');
    expect(await codeOf(readRequest(readerOf(Buffer.from('0003'))))).toBe('pkt_line_bad_length');
    expect(await codeOf(readRequest(readerOf(Buffer.from('0010batch'))))).toBe('pkt_line_truncated');
    expect(await codeOf(readLines(readerOf('a', 'b', 'c', 'flush'), 2))).toBe('lfs_batch_too_many_objects');
    expect(await codeOf(readLines(readerOf('a'), 2))).toBe('lfs_transfer_protocol');
  });

  it('hands out a data section piece by piece and says when it reached its flush', async () => {
    const body = new DataBody(readerOf(Buffer.from('0008abcd0007efg0000'), 'next'));
    const pieces: string[] = [];
    for await (const piece of body.pieces()) pieces.push(piece.toString());
    expect(pieces).toEqual(['abcd', 'efg']);
    expect(body.complete).toBe(true);
    const cut = new DataBody(readerOf(Buffer.from('0008abcd')));
    expect(
      await codeOf(async () => {
        for await (const piece of cut.pieces()) void piece;
      }),
    ).toBe('lfs_transfer_protocol');
    expect(cut.complete).toBe(false);
  });
});

describe('git-lfs-transfer replies', () => {
  const texts = (reply: Buffer) =>
    decodePktLines(reply).packets.map((packet) =>
      packet.kind === 'data' ? packet.payload.toString() : packet.kind,
    );

  it('frames a status with arguments and lines, and an error as one printable line', () => {
    expect(texts(statusReply(200))).toEqual(['status 200\n', 'flush']);
    expect(texts(statusReply(200, ['hash-algo=sha256'], ['a 1 noop']))).toEqual([
      'status 200\n',
      'hash-algo=sha256\n',
      'delim',
      'a 1 noop\n',
      'flush',
    ]);
    expect(texts(errorReply(404, 'not\nthere\u0000'))).toEqual([
      'status 404\n',
      'delim',
      'not?there?\n',
      'flush',
    ]);
    expect(texts(errorReply(400, 'x'.repeat(5000)))[2]).toHaveLength(1025);
  });

  it('splits data into packets of at most the largest payload', () => {
    const data = Buffer.alloc(PKT_LINE_MAX_PAYLOAD * 2 + 5, 7);
    const { packets } = decodePktLines(dataPackets(data));
    expect(packets.map((packet) => (packet.kind === 'data' ? packet.payload.length : 0))).toEqual([
      PKT_LINE_MAX_PAYLOAD,
      PKT_LINE_MAX_PAYLOAD,
      5,
    ]);
  });
});
