import { invalid, tooLarge } from '../platform/errors.js';

/**
 * pkt-line framing (gitprotocol-common "pkt-line Format", gitprotocol-v2 "Packet-Line Framing"):
 * four hex digits give the length including themselves; 0000 is flush, 0001 delim,
 * 0002 response-end. A packet is at most 65520 bytes, so a payload at most 65516.
 */
export type PktLine =
  | { readonly kind: 'data'; readonly payload: Buffer }
  | { readonly kind: 'flush' }
  | { readonly kind: 'delim' }
  | { readonly kind: 'response-end' };

/** Largest packet on the wire, header included (git's LARGE_PACKET_MAX). */
export const PKT_LINE_MAX_LENGTH = 65520;
/** Bytes of the length header. */
export const PKT_LINE_HEADER_LENGTH = 4;
/** Largest payload of one data packet. */
export const PKT_LINE_MAX_PAYLOAD = PKT_LINE_MAX_LENGTH - PKT_LINE_HEADER_LENGTH;

export const FLUSH_PKT: Buffer = Buffer.from('0000');
export const DELIM_PKT: Buffer = Buffer.from('0001');
export const RESPONSE_END_PKT: Buffer = Buffer.from('0002');

export const FLUSH: PktLine = { kind: 'flush' };
export const DELIM: PktLine = { kind: 'delim' };
export const RESPONSE_END: PktLine = { kind: 'response-end' };

/** A data packet holding `payload` (a string is UTF-8 encoded as is; add '\n' yourself). */
export function dataPkt(payload: Buffer | string): PktLine {
  return { kind: 'data', payload: typeof payload === 'string' ? Buffer.from(payload) : payload };
}

/** Encodes one data packet; throws `pkt_line_too_long` past 65516 payload bytes. */
export function encodePktLine(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > PKT_LINE_MAX_PAYLOAD) {
    throw tooLarge('pkt_line_too_long', 'pkt-line payload exceeds 65516 bytes', {
      length: body.length,
    });
  }
  const out = Buffer.allocUnsafe(body.length + PKT_LINE_HEADER_LENGTH);
  out.write((body.length + PKT_LINE_HEADER_LENGTH).toString(16).padStart(4, '0'), 0, 'latin1');
  out.set(body, PKT_LINE_HEADER_LENGTH);
  return out;
}

/** Encodes any typed packet. */
export function encodePacket(packet: PktLine): Buffer {
  switch (packet.kind) {
    case 'data':
      return encodePktLine(packet.payload);
    case 'flush':
      return FLUSH_PKT;
    case 'delim':
      return DELIM_PKT;
    case 'response-end':
      return RESPONSE_END_PKT;
  }
}

/** Encodes a sequence of packets into one buffer. */
export function encodePackets(packets: readonly PktLine[]): Buffer {
  return Buffer.concat(packets.map(encodePacket));
}

/** Payload as text without one trailing LF (the usual way to read a command line). */
export function pktText(packet: PktLine): string | undefined {
  if (packet.kind !== 'data') return undefined;
  const text = packet.payload.toString('utf8');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

const HEX_VALUE = new Int8Array(256).fill(-1);
for (const [i, digit] of [...'0123456789abcdef'].entries()) {
  HEX_VALUE[digit.charCodeAt(0)] = i;
  HEX_VALUE[digit.toUpperCase().charCodeAt(0)] = i;
}

/**
 * Parses the 4-byte length header at `offset`. Returns the packet length (0, 1, 2 for the
 * special packets, otherwise 4..65520); throws `pkt_line_bad_hex` / `pkt_line_bad_length`.
 */
export function parsePktLength(buf: Uint8Array, offset = 0): number {
  let length = 0;
  for (let i = 0; i < PKT_LINE_HEADER_LENGTH; i++) {
    const digit = HEX_VALUE[buf[offset + i] ?? 0] ?? -1;
    if (digit < 0) {
      throw invalid('pkt_line_bad_hex', 'pkt-line length is not hex', {
        header: Buffer.from(buf.subarray(offset, offset + PKT_LINE_HEADER_LENGTH)).toString('latin1'),
      });
    }
    length = length * 16 + digit;
  }
  if (length === 3) throw invalid('pkt_line_bad_length', 'pkt-line length 3 is reserved', { length });
  if (length > PKT_LINE_MAX_LENGTH) {
    throw invalid('pkt_line_bad_length', 'pkt-line longer than 65520 bytes', { length });
  }
  return length;
}

function packetFor(length: number, payload: () => Buffer): PktLine {
  if (length === 0) return FLUSH;
  if (length === 1) return DELIM;
  if (length === 2) return RESPONSE_END;
  return { kind: 'data', payload: payload() };
}

/**
 * Decodes every complete packet in `buf`. `rest` is what follows the last complete packet
 * (a partial packet, or raw data such as a pack after the commands of a push).
 */
export function decodePktLines(buf: Buffer): { packets: PktLine[]; rest: Buffer } {
  const packets: PktLine[] = [];
  let pos = 0;
  while (buf.length - pos >= PKT_LINE_HEADER_LENGTH) {
    const length = parsePktLength(buf, pos);
    const total = length < PKT_LINE_HEADER_LENGTH ? PKT_LINE_HEADER_LENGTH : length;
    if (buf.length - pos < total) break;
    const start = pos;
    packets.push(packetFor(length, () => buf.subarray(start + PKT_LINE_HEADER_LENGTH, start + total)));
    pos += total;
  }
  return { packets, rest: buf.subarray(pos) };
}
