/**
 * `COM_STMT_EXECUTE` (the binary protocol's execute) written by us for the values an ingest
 * sends: strings, Buffers, integers and NULL. mysql2 builds an object and a closure per parameter
 * and then copies each value (~0.5 µs a value: ~150 ms of the 294k values of a 32k-object ingest);
 * here the sizes are summed in one pass and the values written in a second, into one Buffer.
 */

/** Field types of the binary protocol (`enum_field_types`). */
const TYPE_DOUBLE = 0x05;
const TYPE_NULL = 0x06;
const TYPE_LONGLONG = 0x08;
const TYPE_BLOB = 0xfc;
const TYPE_VAR_STRING = 0xfd;
const COM_STMT_EXECUTE = 0x17;
/** Packet header (3 bytes of length, 1 of sequence id), command, statement id, flags, iteration count. */
const FIXED_BYTES = 4 + 1 + 4 + 1 + 4;
/** The largest payload of one packet; longer ones are split, which this encoder leaves to mysql2. */
export const MAX_PACKET_PAYLOAD = 0xffffff - 1;

/** Bytes of a length-encoded integer. */
export function lengthCodedBytes(value: number): number {
  return value < 251 ? 1 : value < 0x10000 ? 3 : value < 0x1000000 ? 4 : 9;
}

/** Writes a length-encoded integer at `offset`; returns the offset after it. */
export function writeLengthCoded(buffer: Buffer, offset: number, value: number): number {
  if (value < 251) {
    buffer[offset] = value;
    return offset + 1;
  }
  if (value < 0x10000) {
    buffer[offset] = 0xfc;
    buffer.writeUInt16LE(value, offset + 1);
    return offset + 3;
  }
  if (value < 0x1000000) {
    buffer[offset] = 0xfd;
    buffer.writeUIntLE(value, offset + 1, 3);
    return offset + 4;
  }
  buffer[offset] = 0xfe;
  buffer.writeUInt32LE(value >>> 0, offset + 1);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), offset + 5);
  return offset + 9;
}

/** The binary-protocol type a value is sent as, or undefined for a value this encoder does not take. */
function typeOf(value: unknown): number | undefined {
  if (value === null) return TYPE_NULL;
  if (typeof value === 'string') return TYPE_VAR_STRING;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? TYPE_LONGLONG : TYPE_DOUBLE;
  if (value instanceof Uint8Array) return TYPE_BLOB;
  return undefined;
}

/**
 * The whole packet (header included, its length and sequence id left for the connection to
 * write) executing statement `statementId` with `parameters`; undefined when a value is of a
 * kind this encoder does not write (the caller then lets mysql2 encode it) or the packet would
 * need splitting. Numbers that are safe integers go as signed 64-bit integers, other numbers as
 * doubles, strings as UTF-8, byte arrays as blobs.
 */
export function encodeExecutePacket(statementId: number, parameters: readonly unknown[]): Buffer | undefined {
  const count = parameters.length;
  const types = new Uint8Array(count);
  // Byte lengths of the strings, so each is measured once.
  const lengths = new Int32Array(count);
  let size = FIXED_BYTES;
  if (count > 0) size += ((count + 7) >> 3) + 1 + 2 * count;
  for (let index = 0; index < count; index++) {
    const value = parameters[index];
    const type = typeOf(value);
    if (type === undefined) return undefined;
    types[index] = type;
    if (type === TYPE_VAR_STRING) {
      const length = Buffer.byteLength(value as string, 'utf8');
      lengths[index] = length;
      size += lengthCodedBytes(length) + length;
    } else if (type === TYPE_BLOB) {
      const length = (value as Uint8Array).length;
      size += lengthCodedBytes(length) + length;
    } else if (type !== TYPE_NULL) {
      size += 8;
    }
    if (size - 4 > MAX_PACKET_PAYLOAD) return undefined;
  }
  const packet = Buffer.allocUnsafe(size);
  let offset = 4;
  packet[offset++] = COM_STMT_EXECUTE;
  packet.writeUInt32LE(statementId, offset);
  offset += 4;
  packet[offset++] = 0; // no cursor
  packet.writeUInt32LE(1, offset); // iteration count, always 1
  offset += 4;
  if (count === 0) return packet;
  const bitmapAt = offset;
  packet.fill(0, bitmapAt, bitmapAt + ((count + 7) >> 3));
  offset += (count + 7) >> 3;
  packet[offset++] = 1; // the types follow
  for (let index = 0; index < count; index++) {
    const type = types[index]!;
    if (type === TYPE_NULL) packet[bitmapAt + (index >> 3)]! |= 1 << (index & 7);
    packet[offset++] = type;
    packet[offset++] = 0; // signed
  }
  for (let index = 0; index < count; index++) {
    offset = writeValue(packet, offset, types[index]!, parameters[index], lengths[index]!);
  }
  return packet;
}

/** A reply packet as mysql2's parser hands it to a command. */
export interface ServerPacket {
  readonly buffer: Buffer;
  /** Where the payload starts (after the 4-byte header). */
  readonly offset: number;
  isError(): boolean;
  asError(encoding: string): Error;
}

/** What of a mysql2 connection a command uses (its command queue and packet writer). */
export interface CommandConnection {
  addCommand(command: object): unknown;
  writePacket(packet: object): void;
  _resetSequenceId(): void;
  readonly clientEncoding: string;
}

/** The result mysql2 gives for a statement without rows, as Kysely reads it. */
export interface OkResult {
  readonly fieldCount: 0;
  readonly affectedRows: number;
  readonly insertId: number;
  readonly changedRows: number;
  readonly warningStatus: number;
}

type ResultCallback = (error: Error | null, result?: OkResult) => void;

/** Reads a length-encoded integer at `offset`; returns it and where the next field starts. */
function readLengthCoded(buffer: Buffer, offset: number): [number, number] {
  const first = buffer[offset]!;
  if (first < 251) return [first, offset + 1];
  if (first === 0xfc) return [buffer.readUInt16LE(offset + 1), offset + 3];
  if (first === 0xfd) return [buffer.readUIntLE(offset + 1, 3), offset + 4];
  return [buffer.readUInt32LE(offset + 1) + buffer.readUInt32LE(offset + 5) * 0x100000000, offset + 9];
}

/**
 * A command in mysql2's queue (the shape its connection drives: `execute` with each reply packet,
 * true when done; `onResult` for failures of the connection itself) that sends one encoded
 * `COM_STMT_EXECUTE` and reads its reply: an OK packet or an error. Only for statements that
 * return no rows (INSERT).
 */
export class ExecutePacketCommand {
  private sent = false;
  private answered = false;

  constructor(
    private readonly packet: Buffer,
    private readonly callback: ResultCallback,
  ) {}

  onResult(error: Error | null, result?: OkResult): void {
    if (this.answered) return;
    this.answered = true;
    this.callback(error, result);
  }

  execute(reply: ServerPacket | null | undefined, connection: CommandConnection): boolean {
    if (!this.sent) {
      this.sent = true;
      connection._resetSequenceId();
      const buffer = this.packet;
      connection.writePacket({
        buffer,
        length: () => buffer.length,
        writeHeader(sequenceId: number) {
          buffer.writeUIntLE(buffer.length - 4, 0, 3);
          buffer[3] = sequenceId;
        },
      });
      return false;
    }
    if (!reply) return false;
    if (reply.isError()) {
      this.onResult(reply.asError(connection.clientEncoding));
      return true;
    }
    const { buffer, offset } = reply;
    if (buffer[offset] !== 0) {
      // A statement with rows: its column and row packets would follow. Callers never send one.
      this.onResult(new Error(`unexpected reply 0x${buffer[offset]!.toString(16)} to a binary insert`));
      return true;
    }
    const [affectedRows, next] = readLengthCoded(buffer, offset + 1);
    const [insertId, status] = readLengthCoded(buffer, next);
    this.onResult(null, {
      fieldCount: 0,
      affectedRows,
      insertId,
      changedRows: 0,
      warningStatus: buffer.readUInt16LE(status + 2),
    });
    return true;
  }
}

/**
 * Writes one non-NULL value of `type` at `offset` (`stringLength`: a string's UTF-8 byte length,
 * measured by the caller when it sized the packet) and returns the offset after it.
 */
export function writeValue(
  packet: Buffer,
  offset: number,
  type: number,
  value: unknown,
  stringLength: number,
): number {
  switch (type) {
    case TYPE_VAR_STRING:
      offset = writeLengthCoded(packet, offset, stringLength);
      return offset + packet.write(value as string, offset, stringLength, 'utf8');
    case TYPE_BLOB: {
      const bytes = value as Uint8Array;
      offset = writeLengthCoded(packet, offset, bytes.length);
      packet.set(bytes, offset);
      return offset + bytes.length;
    }
    case TYPE_LONGLONG: {
      // Two words: the low one modulo 2^32 (two's complement for negatives), the high one signed.
      const integer = value as number;
      packet.writeUInt32LE(integer >>> 0, offset);
      packet.writeInt32LE(Math.floor(integer / 0x100000000), offset + 4);
      return offset + 8;
    }
    case TYPE_DOUBLE:
      packet.writeDoubleLE(value as number, offset);
      return offset + 8;
    default:
      return offset;
  }
}
