import { FLUSH_PKT, encodePktLine } from '../git/pkt-line.js';
import { encodeErrorPacket } from '../git/protocol/receive-request.js';
import {
  BAND_DATA,
  BAND_ERROR,
  BAND_PROGRESS,
  SIDEBAND_64K_MAX_DATA,
  SIDEBAND_HEADER_BYTES,
  SIDEBAND_MAX_DATA,
  encodeSideband,
} from '../git/protocol/sideband.js';
import type { ByteSink } from './pack-sender.js';

export type SidebandMode = 'none' | 'side-band' | 'side-band-64k';

/**
 * How a failure ends a response. Once the response is side-band multiplexed: the message on band
 * 3, which git prints as `remote: error: …` and aborts, then a flush. Before: an `ERR` packet
 * (pack-protocol.txt "ERR"; git prints `fatal: remote error: …`). An `ERR` packet inside the
 * multiplexed part would be read as band `E`: `protocol error: bad band #69`, the cause lost.
 */
export function failureResponse(message: string, multiplexed: boolean): Buffer {
  if (!multiplexed) return encodeErrorPacket(message);
  return Buffer.concat([encodeSideband(BAND_ERROR, Buffer.from(`error: ${message}\n`)), FLUSH_PKT]);
}

/**
 * Writes a git response: plain pkt-lines, then (optionally side-band multiplexed) pack data with
 * progress. Pack bytes are gathered into full side-band packets so the framing costs 5 bytes per
 * 64 KiB, and every write waits for the consumer (backpressure).
 */
export class GitResponseWriter implements ByteSink {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private readonly maxData: number;

  constructor(
    private readonly out: ByteSink,
    private readonly sideband: SidebandMode,
    private readonly quiet = false,
  ) {
    this.maxData = sideband === 'side-band' ? SIDEBAND_MAX_DATA : SIDEBAND_64K_MAX_DATA;
  }

  /**
   * Tells the sink that everything from here on is multiplexed (with side-band): a failure must
   * then come on band 3. Called where the pack part begins, before anything can fail in it:
   * without progress, nothing might be written on a band before the walk fails.
   */
  beginSideband(): void {
    if (this.sideband !== 'none') this.out.markSideband?.();
  }

  /**
   * Payload bytes of one band-1 packet, undefined without side-band: pack data already framed
   * that way (`encodeSideband(BAND_DATA, …)`) may go out through `raw` after `flushData`.
   */
  get dataPacketBytes(): number | undefined {
    return this.sideband === 'none' ? undefined : this.maxData;
  }

  /** A plain pkt-line (`line` gets its LF). */
  async line(line: string): Promise<void> {
    await this.out.write(encodePktLine(`${line}\n`));
  }

  async raw(bytes: Buffer): Promise<void> {
    await this.out.write(bytes);
  }

  async flushPkt(): Promise<void> {
    await this.out.write(FLUSH_PKT);
  }

  /** Pack data: on band 1 with side-band, else straight through. */
  async write(chunk: Buffer): Promise<void> {
    if (this.sideband === 'none') {
      await this.out.write(chunk);
      return;
    }
    this.beginSideband();
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    while (this.pendingLength >= this.maxData) await this.sendDataPacket(this.maxData);
  }

  /** A progress line on band 2 (printed as `remote: …`); dropped without side-band or when quiet. */
  async progress(message: string): Promise<void> {
    if (this.sideband === 'none' || this.quiet) return;
    this.beginSideband();
    await this.flushData();
    await this.out.write(encodeSideband(BAND_PROGRESS, Buffer.from(message), this.maxData));
  }

  /**
   * A message for the user on band 2, sent even when the client asked for `quiet` (git's
   * receive-pack does the same for hook output: `quiet` only silences progress meters).
   */
  async message(text: string): Promise<void> {
    if (this.sideband === 'none') return;
    this.beginSideband();
    await this.flushData();
    await this.out.write(encodeSideband(BAND_PROGRESS, Buffer.from(text), this.maxData));
  }

  /** Ends the response with a failure (`failureResponse`): band 3 with side-band, else `ERR`. */
  async fatal(message: string): Promise<void> {
    const multiplexed = this.sideband !== 'none';
    if (multiplexed) await this.flushData();
    await this.out.write(failureResponse(message, multiplexed));
  }

  /** Writes any buffered pack data. */
  async flushData(): Promise<void> {
    while (this.pendingLength > 0) await this.sendDataPacket(Math.min(this.pendingLength, this.maxData));
  }

  /**
   * Sends the next `length` pending bytes as one band-1 pkt-line: its 5-byte header, then the
   * pending pieces themselves (a clone's whole pack passes through here: no copy, and no packet
   * buffer per 64 KiB left for the garbage collector).
   */
  private async sendDataPacket(length: number): Promise<void> {
    const header = Buffer.allocUnsafe(SIDEBAND_HEADER_BYTES);
    header.write((SIDEBAND_HEADER_BYTES + length).toString(16).padStart(4, '0'), 0, 'latin1');
    header[4] = BAND_DATA;
    await this.out.write(header);
    let left = length;
    while (left > 0) {
      const first = this.pending[0] as Buffer;
      const take = Math.min(first.length, left);
      if (take === first.length) this.pending.shift();
      else this.pending[0] = first.subarray(take);
      left -= take;
      this.pendingLength -= take;
      await this.out.write(take === first.length ? first : first.subarray(0, take));
    }
  }
}
