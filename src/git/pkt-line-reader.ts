import { invalid, tooLarge } from '../platform/errors.js';
import { PKT_LINE_HEADER_LENGTH, parsePktLength, type PktLine } from './pkt-line.js';

export interface PktLineReaderOptions {
  /**
   * Most bytes (headers included) `read()` hands out in all: the command section of a request
   * (git http-backend's GIT_HTTP_MAX_REQUEST_BUFFER idea). Past it `read()` throws
   * `command_section_too_large` before buffering more. Bytes read through `rest()` (a push's pack)
   * do not count.
   */
  readonly maxPacketBytes?: number;
}

/**
 * Reads typed packets from a byte stream. `read()` returns `undefined` at a clean end of input
 * (no partial packet pending) and throws `pkt_line_truncated` when the input stops mid-packet.
 * After the packets, `rest()` yields the unread bytes (e.g. the pack that follows push commands).
 * Memory: one source chunk plus at most one packet (65520 bytes) are buffered at a time.
 */
export class PktLineReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private ended = false;
  private readonly maxPacketBytes: number;
  /** Bytes of the packets handed out by `read()` so far. */
  private packetBytes = 0;

  constructor(source: AsyncIterable<Uint8Array>, options: PktLineReaderOptions = {}) {
    this.source = source[Symbol.asyncIterator]();
    this.maxPacketBytes = options.maxPacketBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes of packets read so far (headers included). */
  get bytesRead(): number {
    return this.packetBytes;
  }

  /** The next packet, or `undefined` at a clean end of input. */
  async read(): Promise<PktLine | undefined> {
    if (!(await this.fill(PKT_LINE_HEADER_LENGTH))) {
      if (this.available() === 0) return undefined;
      throw this.truncated(PKT_LINE_HEADER_LENGTH);
    }
    const length = parsePktLength(this.buffer, this.position);
    this.count(Math.max(length, PKT_LINE_HEADER_LENGTH));
    if (length < PKT_LINE_HEADER_LENGTH) {
      this.position += PKT_LINE_HEADER_LENGTH;
      if (length === 0) return { kind: 'flush' };
      return length === 1 ? { kind: 'delim' } : { kind: 'response-end' };
    }
    if (!(await this.fill(length))) throw this.truncated(length);
    const payload = this.buffer.subarray(this.position + PKT_LINE_HEADER_LENGTH, this.position + length);
    this.position += length;
    return { kind: 'data', payload };
  }

  /** Packets up to (not including) the next flush; throws on end of input before it. */
  async readUntilFlush(): Promise<PktLine[]> {
    const packets: PktLine[] = [];
    for (;;) {
      const packet = await this.read();
      if (packet === undefined) throw this.truncated(PKT_LINE_HEADER_LENGTH);
      if (packet.kind === 'flush') return packets;
      packets.push(packet);
    }
  }

  /** The bytes not consumed as packets, then the rest of the source. Use once, after reading. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.available() > 0) yield this.buffer.subarray(this.position);
    this.buffer = Buffer.alloc(0);
    this.position = 0;
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      }
    }
  }

  /** Charges one packet to the budget, before its payload is buffered. */
  private count(length: number): void {
    this.packetBytes += length;
    if (this.packetBytes > this.maxPacketBytes) {
      throw tooLarge(
        'command_section_too_large',
        `request command section exceeds the limit of ${this.maxPacketBytes} bytes`,
        { limit: this.maxPacketBytes },
      );
    }
  }

  private available(): number {
    return this.buffer.length - this.position;
  }

  /** Buffers at least `count` bytes; false if the input ends first. */
  private async fill(count: number): Promise<boolean> {
    while (this.available() < count) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.buffer =
        this.available() === 0 ? chunk : Buffer.concat([this.buffer.subarray(this.position), chunk]);
      this.position = 0;
    }
    return true;
  }

  private truncated(expected: number) {
    return invalid('pkt_line_truncated', 'input ended inside a pkt-line', {
      expected,
      available: this.available(),
    });
  }
}
