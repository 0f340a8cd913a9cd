import { describe, expect, it } from 'vitest';
import {
  decodePktLines,
  encodePacket,
  encodePktLine,
  parsePktLength,
  pktText,
  PKT_LINE_MAX_PAYLOAD,
  type PktLine,
} from './pkt-line.js';
import { PktLineReader } from './pkt-line-reader.js';
import { codeOf } from '../../tests/support/mega-errors.js';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part;
}

async function readAll(reader: PktLineReader): Promise<PktLine[]> {
  const packets: PktLine[] = [];
  for (let packet = await reader.read(); packet; packet = await reader.read()) packets.push(packet);
  return packets;
}

describe('pkt-line encoding', () => {
  it.each([
    ['hello\n', '000ahello\n'],
    ['', '0004'],
    ['a', '0005a'],
  ])('encodes %j as %j', (payload, wire) => {
    expect(encodePktLine(payload).toString()).toBe(wire);
  });

  it('encodes the special packets', () => {
    expect(encodePacket({ kind: 'flush' }).toString()).toBe('0000');
    expect(encodePacket({ kind: 'delim' }).toString()).toBe('0001');
    expect(encodePacket({ kind: 'response-end' }).toString()).toBe('0002');
  });

  it('accepts the largest payload and refuses one byte more', () => {
    expect(encodePktLine(Buffer.alloc(PKT_LINE_MAX_PAYLOAD)).subarray(0, 4).toString()).toBe('fff0');
    expect(() => encodePktLine(Buffer.alloc(PKT_LINE_MAX_PAYLOAD + 1))).toThrow(/65516/);
  });
});

describe('pkt-line length', () => {
  it.each([
    ['0000', 0],
    ['0001', 1],
    ['0002', 2],
    ['000a', 10],
    ['00A0', 160],
    ['fff0', 65520],
  ])('parses %s', (header, length) => {
    expect(parsePktLength(Buffer.from(header))).toBe(length);
  });

  it.each([
    ['0003', 'pkt_line_bad_length'],
    ['fff1', 'pkt_line_bad_length'],
    ['ffff', 'pkt_line_bad_length'],
    ['00g0', 'pkt_line_bad_hex'],
    ['-001', 'pkt_line_bad_hex'],
    [' 00a', 'pkt_line_bad_hex'],
  ])('rejects %s with %s', (header, code) => {
    expect(() => parsePktLength(Buffer.from(header))).toThrow(expect.objectContaining({ code }));
  });
});

describe('decodePktLines', () => {
  it('splits packets and keeps the rest', () => {
    const { packets, rest } = decodePktLines(Buffer.from('0009done\n0001000000020009pa'));
    expect(packets.map((p) => p.kind)).toEqual(['data', 'delim', 'flush', 'response-end']);
    expect(pktText(packets[0]!)).toBe('done');
    expect(rest.toString()).toBe('0009pa');
  });
});

describe('PktLineReader', () => {
  it('reads packets split across arbitrary chunk boundaries', async () => {
    const wire = '0009want\n0000000bhave 1\n0001';
    const split = [...wire].map((c) => c);
    const packets = await readAll(new PktLineReader(chunks(...split)));
    expect(packets.map((p) => pktText(p) ?? p.kind)).toEqual(['want', 'flush', 'have 1', 'delim']);
  });

  it('returns undefined at a clean end and stays there', async () => {
    const reader = new PktLineReader(chunks('0000'));
    expect(await reader.read()).toEqual({ kind: 'flush' });
    expect(await reader.read()).toBeUndefined();
    expect(await reader.read()).toBeUndefined();
  });

  it.each([
    ['a truncated header', '00'],
    ['a truncated payload', '000ahel'],
  ])('throws pkt_line_truncated on %s', async (_name, wire) => {
    expect(await codeOf(readAll(new PktLineReader(chunks(wire))))).toBe('pkt_line_truncated');
  });

  it.each([
    ['zzzz', 'pkt_line_bad_hex'],
    ['0003', 'pkt_line_bad_length'],
    ['ffffxxxx', 'pkt_line_bad_length'],
  ])('throws on hostile header %s', async (wire, code) => {
    expect(await codeOf(readAll(new PktLineReader(chunks(wire))))).toBe(code);
  });

  it('hands out the bytes after the packets', async () => {
    const reader = new PktLineReader(chunks('0009abcd\n0000PA', 'CK', Buffer.from([1, 2])));
    expect(await reader.readUntilFlush()).toHaveLength(1);
    const rest: Buffer[] = [];
    for await (const chunk of reader.rest()) rest.push(chunk);
    expect(Buffer.concat(rest)).toEqual(Buffer.from([0x50, 0x41, 0x43, 0x4b, 1, 2]));
  });

  it('readUntilFlush fails when the input ends before the flush', async () => {
    expect(await codeOf(new PktLineReader(chunks('0009abcd\n')).readUntilFlush())).toBe('pkt_line_truncated');
  });

  it('refuses packets past its byte budget before buffering their payload', async () => {
    const line = encodePktLine('ref-prefix refs/heads/x\n');
    let pulled = 0;
    async function* flood(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield line;
      }
    }
    const reader = new PktLineReader(flood(), { maxPacketBytes: 100 * line.length });
    expect(await codeOf(readAll(reader))).toBe('command_section_too_large');
    expect(reader.bytesRead).toBeGreaterThan(100 * line.length);
    // It stopped pulling at the budget: the source is endless.
    expect(pulled).toBe(101);
  });

  it('counts flush and delim packets against the budget, and lets exactly the budget through', async () => {
    const wire = '0009abcd\n00010000';
    expect(await readAll(new PktLineReader(chunks(wire), { maxPacketBytes: 17 }))).toHaveLength(3);
    expect(await codeOf(readAll(new PktLineReader(chunks(wire), { maxPacketBytes: 16 })))).toBe(
      'command_section_too_large',
    );
  });

  it('does not count what rest() yields (the pack of a push)', async () => {
    const reader = new PktLineReader(chunks('0009abcd\n0000', Buffer.alloc(1000, 1)), { maxPacketBytes: 13 });
    expect(await reader.readUntilFlush()).toHaveLength(1);
    let rest = 0;
    for await (const chunk of reader.rest()) rest += chunk.length;
    expect(rest).toBe(1000);
  });
});
