import { DELIM_PKT, encodePktLine, FLUSH_PKT, PKT_LINE_MAX_PAYLOAD, pktText } from '../git/pkt-line.js';
import type { PktLineReader } from '../git/pkt-line-reader.js';
import { invalid, tooLarge } from '../platform/errors.js';

/**
 * The framing of `git-lfs-transfer` (git-lfs docs/proposals/ssh_adapter.md): requests and replies
 * as pkt-lines. A request is a command line, `key=value` arguments, and for some commands a delim
 * packet and a body (text lines, or binary data) up to a flush. A reply is `status <HTTP code>`,
 * arguments, and a delim and lines or data when there are any, up to a flush. Everything a
 * client sends is read within bounds; what breaks the framing is `lfs_transfer_protocol`
 * (`invalid`), after which the session cannot continue.
 */
export interface TransferRequest {
  /** The command word (`batch`, `get-object` …) and what follows it on the line, if anything. */
  readonly command: string;
  readonly operand: string | undefined;
  readonly args: ReadonlyMap<string, string>;
  /** A delim packet ended the arguments: a body follows, up to a flush. */
  readonly hasBody: boolean;
}

/** Most arguments one request may carry (git-lfs sends at most five). */
export const MAX_REQUEST_ARGS = 32;
/** Longest reply line we write (a message is cut there). */
const MAX_MESSAGE_LENGTH = 1024;

const ARGUMENT = /^([A-Za-z0-9_-]{1,64})=(.*)$/s;
const COMMAND = /^([a-z][a-z-]{0,31})(?: (\S+))?$/;

export function protocolError(message: string) {
  return invalid('lfs_transfer_protocol', message);
}

/** The next request, or undefined when the client closed its side between requests. */
export async function readRequest(reader: PktLineReader): Promise<TransferRequest | undefined> {
  const first = await reader.read();
  if (first === undefined) return undefined;
  const line = textOf(first, 'a command');
  const match = COMMAND.exec(line);
  if (!match) throw protocolError(`malformed command line: ${oneLine(line, 64)}`);
  const args = new Map<string, string>();
  for (;;) {
    const packet = await reader.read();
    if (packet === undefined) throw protocolError('the input ended inside a request');
    if (packet.kind === 'flush' || packet.kind === 'delim') {
      return { command: match[1]!, operand: match[2], args, hasBody: packet.kind === 'delim' };
    }
    if (args.size >= MAX_REQUEST_ARGS) throw protocolError(`more than ${MAX_REQUEST_ARGS} arguments`);
    const argument = ARGUMENT.exec(textOf(packet, 'an argument'));
    if (!argument) throw protocolError('an argument is not key=value');
    if (args.has(argument[1]!)) throw protocolError(`argument ${argument[1]!} given twice`);
    args.set(argument[1]!, argument[2]!);
  }
}

/** The text lines of a batch's body, up to its flush; at most `max` of them. */
export async function readLines(reader: PktLineReader, max: number): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const packet = await reader.read();
    if (packet === undefined) throw protocolError('the input ended inside a request');
    if (packet.kind === 'flush') return lines;
    if (lines.length >= max)
      throw tooLarge('lfs_batch_too_many_objects', `a batch holds at most ${max} objects`, { limit: max });
    lines.push(textOf(packet, 'a line'));
  }
}

/**
 * A request's binary body, piece by piece up to its flush. `complete` turns true once the flush
 * was read, so a caller knows whether the stream is still in step after a failure.
 */
export class DataBody {
  complete = false;

  constructor(private readonly reader: PktLineReader) {}

  async *pieces(): AsyncGenerator<Buffer> {
    for (;;) {
      const packet = await this.reader.read();
      if (packet === undefined) throw protocolError('the input ended inside the data');
      if (packet.kind === 'flush') {
        this.complete = true;
        return;
      }
      if (packet.kind !== 'data') throw protocolError('unexpected packet inside the data');
      // The reader's buffer moves on: hand out a copy the consumer may keep.
      yield Buffer.from(packet.payload);
    }
  }
}

/** `status <code>`, arguments, then (when given) a delim and lines; the flush. */
export function statusReply(status: number, args: readonly string[] = [], lines?: readonly string[]): Buffer {
  const packets = [encodePktLine(`status ${status}\n`)];
  for (const arg of args) packets.push(encodePktLine(`${arg}\n`));
  if (lines) {
    packets.push(DELIM_PKT);
    for (const line of lines) packets.push(encodePktLine(`${line}\n`));
  }
  packets.push(FLUSH_PKT);
  return Buffer.concat(packets);
}

/** An error reply: the status, arguments (a lock conflict names the lock), the message. */
export function errorReply(status: number, message: string, args: readonly string[] = []): Buffer {
  return statusReply(status, args, [oneLine(message, MAX_MESSAGE_LENGTH)]);
}

/** The start of a data reply (`get-object`): status 200 and the arguments, then the delim. */
export function dataReplyHead(args: readonly string[]): Buffer {
  return Buffer.concat([
    encodePktLine('status 200\n'),
    ...args.map((arg) => encodePktLine(`${arg}\n`)),
    DELIM_PKT,
  ]);
}

/** A piece of binary data as pkt-lines of at most the largest payload each. */
export function dataPackets(piece: Buffer): Buffer {
  const packets: Buffer[] = [];
  for (let offset = 0; offset < piece.length; offset += PKT_LINE_MAX_PAYLOAD) {
    packets.push(encodePktLine(piece.subarray(offset, offset + PKT_LINE_MAX_PAYLOAD)));
  }
  return Buffer.concat(packets);
}

/** A text packet's line (one trailing LF dropped); control characters are a protocol error. */
function textOf(packet: Awaited<ReturnType<PktLineReader['read']>>, what: string): string {
  const text = packet ? pktText(packet) : undefined;
  if (text === undefined) throw protocolError(`expected ${what}, got a ${packet?.kind ?? 'end'} packet`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw protocolError(`${what} contains control characters`);
  return text;
}

function oneLine(text: string, max: number): string {
  return text.slice(0, max).replace(/[\u0000-\u001f\u007f]/g, '?');
}
