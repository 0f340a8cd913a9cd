import { lengthCodedBytes, MAX_PACKET_PAYLOAD, writeValue } from './mysql-execute-packet.js';

/**
 * MariaDB's `COM_STMT_BULK_EXECUTE`: one prepared one-row INSERT run over many rows in one packet
 * (https://mariadb.com/kb/en/com_stmt_bulk_execute/). A multi-row `INSERT … VALUES (?, …), …` of
 * 2,000 object rows has 16,000 parameters, and the server spends ~40 % of the statement on them
 * (setting, checking and cleaning up each one) before InnoDB inserts anything; the bulk form has
 * one row's parameters, set again for each row. The server takes it only from a client that
 * announced `MARIADB_CLIENT_STMT_BULK_OPERATIONS` in its handshake (`announceBulkOperations`).
 */

/** The MariaDB extended client capability (bit 2 of the upper word) a bulk execute needs. */
const MARIADB_CLIENT_STMT_BULK_OPERATIONS = 0x00000004;
const COM_STMT_BULK_EXECUTE = 0xfa;
/** Bulk flags: the parameter types follow the flags (sent once, for every row). */
const SEND_TYPES_TO_SERVER = 128;
/** Per value indicator: a value follows, or the value is NULL (nothing follows). */
export const INDICATOR_VALUE = 0;
const INDICATOR_NULL = 1;
export const TYPE_LONGLONG = 0x08;
export const TYPE_BLOB = 0xfc;
export const TYPE_VAR_STRING = 0xfd;
/** Packet header (3 bytes of length, 1 of sequence id), command, statement id, bulk flags. */
const FIXED_BYTES = 4 + 1 + 4 + 2;

/** Marks a mysql2 connection whose handshake announced bulk operations to a server that offers them. */
const BULK_MARK = Symbol('mariadbBulkOperations');

/** What of mysql2's client handshake command `announceBulkOperations` reads and sets. */
interface ClientHandshakeState {
  mariadbExtendedClientFlags?: number;
  handshake?: { mariadbExtendedCapabilityFlags?: number } | null;
}
type SendStep = (this: ClientHandshakeState, connection: object) => unknown;

/**
 * Makes mysql2's client handshake announce `MARIADB_CLIENT_STMT_BULK_OPERATIONS` when the server
 * offers it and mysql2 already negotiates MariaDB's extended capabilities (it does for extended
 * metadata: the server reads those bytes only then). The capability lets the server accept
 * `COM_STMT_BULK_EXECUTE` and changes nothing else the connection does. `handshakeClass` is
 * mysql2's `ClientHandshake` (`lib/commands/client_handshake.js`); a version without the steps
 * this wraps is left alone, and no connection is then marked. Patched once per class.
 */
export function announceBulkOperations(handshakeClass: { prototype: object } | undefined): void {
  const prototype = handshakeClass?.prototype as Record<PropertyKey, unknown> | undefined;
  if (!prototype || prototype[BULK_MARK]) return;
  const steps = ['sendSSLRequest', 'sendCredentials'] as const;
  if (!steps.every((step) => typeof prototype[step] === 'function')) return;
  for (const step of steps) {
    const original = prototype[step] as SendStep;
    prototype[step] = function (this: ClientHandshakeState, connection: object) {
      const offered = this.handshake?.mariadbExtendedCapabilityFlags ?? 0;
      const negotiated = this.mariadbExtendedClientFlags ?? 0;
      if (negotiated !== 0 && (offered & MARIADB_CLIENT_STMT_BULK_OPERATIONS) !== 0) {
        this.mariadbExtendedClientFlags = negotiated | MARIADB_CLIENT_STMT_BULK_OPERATIONS;
        (connection as Record<symbol, boolean>)[BULK_MARK] = true;
      }
      return original.call(this, connection);
    };
  }
  prototype[BULK_MARK] = true;
}

/** Whether the connection announced bulk operations to a server that offers them. */
export function takesBulkExecute(connection: object): boolean {
  return (connection as Record<symbol, boolean>)[BULK_MARK] === true;
}

/** A multi-row INSERT as its one-row statement and the number of values per row. */
export interface SingleRowInsert {
  readonly statement: string;
  readonly width: number;
}

const VALUES = ' values ';
const TUPLE = /^\((?:\?, )*\?\)$/;

/**
 * The one-row form of `INSERT … VALUES (?, …), (?, …), …` with `parameterCount` placeholders
 * (at least `minRows` tuples, all alike, as `BulkInserter` writes them), or undefined for any
 * other statement.
 */
export function singleRowInsert(
  statement: string,
  parameterCount: number,
  minRows: number,
): SingleRowInsert | undefined {
  const at = statement.indexOf(VALUES);
  if (at < 0) return undefined;
  const open = at + VALUES.length;
  const close = statement.indexOf(')', open);
  if (close < 0) return undefined;
  const tuple = statement.slice(open, close + 1);
  if (!TUPLE.test(tuple)) return undefined;
  const width = tuple.length / 3;
  const rows = parameterCount / width;
  if (!Number.isInteger(rows) || rows < minRows) return undefined;
  let next = open;
  for (let row = 0; row < rows; row++) {
    if (row > 0) {
      if (!statement.startsWith(', ', next)) return undefined;
      next += 2;
    }
    if (!statement.startsWith(tuple, next)) return undefined;
    next += tuple.length;
  }
  // Another tuple after the counted ones means the parameters were not all of them.
  if (statement.startsWith(', (', next)) return undefined;
  return { statement: statement.slice(0, open) + tuple + statement.slice(next), width };
}

/** The one type of each column (the first non-NULL value's); undefined when a column mixes types. */
function columnTypes(parameters: readonly unknown[], width: number): Uint8Array | undefined {
  const types = new Uint8Array(width).fill(TYPE_VAR_STRING);
  const known = new Uint8Array(width);
  for (let index = 0; index < parameters.length; index++) {
    const value = parameters[index];
    if (value === null) continue;
    let type: number;
    if (typeof value === 'string') type = TYPE_VAR_STRING;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) type = TYPE_LONGLONG;
    else if (value instanceof Uint8Array) type = TYPE_BLOB;
    else return undefined;
    const column = index % width;
    if (known[column] === 0) {
      types[column] = type;
      known[column] = 1;
    } else if (types[column] !== type) {
      return undefined;
    }
  }
  return types;
}

/**
 * The `COM_STMT_BULK_EXECUTE` packet (header included, its length and sequence id left for the
 * connection to write) running statement `statementId`, of `width` parameters, over the rows in
 * `parameters` (row after row). Each column is sent as one type: strings as UTF-8 (declared as
 * blobs, see `declaredType`), safe integers as signed 64-bit integers, byte arrays as blobs, NULL
 * by its indicator. Undefined when a column
 * holds anything else or two kinds of value, or the packet would need splitting: the caller then
 * sends the statement another way.
 */
export function encodeBulkExecutePacket(
  statementId: number,
  width: number,
  parameters: readonly unknown[],
): Buffer | undefined {
  const types = columnTypes(parameters, width);
  if (!types) return undefined;
  const count = parameters.length;
  // Byte lengths of the strings, so each is measured once; an ASCII string's is its length, and
  // `ascii` marks it for the plain copy below.
  const lengths = new Int32Array(count);
  const ascii = new Uint8Array(count);
  let size = FIXED_BYTES + 2 * width + count;
  for (let index = 0, column = 0; index < count; index++, column = column === width - 1 ? 0 : column + 1) {
    const value = parameters[index];
    if (value === null) continue;
    const type = types[column];
    if (type === TYPE_LONGLONG) {
      size += 8;
    } else {
      let length: number;
      if (type !== TYPE_VAR_STRING) {
        length = (value as Uint8Array).length;
      } else if (isShortAscii(value as string)) {
        length = (value as string).length;
        ascii[index] = 1;
      } else {
        length = Buffer.byteLength(value as string, 'utf8');
      }
      lengths[index] = length;
      size += lengthCodedBytes(length) + length;
    }
    if (size - 4 > MAX_PACKET_PAYLOAD) return undefined;
  }
  const packet = Buffer.allocUnsafe(size);
  let offset = writeBulkHead(packet, statementId, types);
  for (let index = 0, column = 0; index < count; index++, column = column === width - 1 ? 0 : column + 1) {
    const value = parameters[index];
    if (value === null) {
      packet[offset++] = INDICATOR_NULL;
      continue;
    }
    packet[offset++] = INDICATOR_VALUE;
    if (ascii[index] === 1) offset = writeShortAscii(packet, offset, value as string);
    else offset = writeValue(packet, offset, types[column]!, value, lengths[index]!);
  }
  return packet;
}

/**
 * Strings shorter than this that are all ASCII are copied by a loop (hex ids, type names): for
 * strings this short one native call to measure and one to write cost more than the characters
 * (the encoder takes 20–25 % less time for the bench's object rows). Below 251, the length is one byte.
 */
const SHORT_ASCII = 128;

/** Whether `value` is shorter than `SHORT_ASCII` and all ASCII (so its UTF-8 is its characters). */
function isShortAscii(value: string): boolean {
  const length = value.length;
  if (length >= SHORT_ASCII) return false;
  for (let at = 0; at < length; at++) if (value.charCodeAt(at) >= 0x80) return false;
  return true;
}

/** Writes a short ASCII string as a length-coded string (one length byte); returns the offset after it. */
function writeShortAscii(packet: Buffer, offset: number, value: string): number {
  const length = value.length;
  packet[offset++] = length;
  for (let at = 0; at < length; at++) packet[offset + at] = value.charCodeAt(at);
  return offset + length;
}

/**
 * Writes a bulk execute's command, statement id, flags and column types after the packet's 4-byte
 * header; returns where the rows start.
 */
function writeBulkHead(packet: Buffer, statementId: number, types: Uint8Array): number {
  let offset = 4;
  packet[offset++] = COM_STMT_BULK_EXECUTE;
  packet.writeUInt32LE(statementId, offset);
  offset += 4;
  packet.writeUInt16LE(SEND_TYPES_TO_SERVER, offset);
  offset += 2;
  for (const type of types) {
    packet[offset++] = declaredType(type);
    packet[offset++] = 0; // signed
  }
  return offset;
}

/**
 * The type a column is declared as to the server. Strings are declared as blobs: their bytes are
 * the same (UTF-8, length-coded), but the server then takes each value as bytes rather than as a
 * string of the connection's character set, which it scans value by value (`convert_str_value`,
 * `my_string_metadata_get`): ~2.5 % of its CPU per bench ingest, by profile. Storing bytes into
 * the tables' utf8mb4 columns (`tableOptions`) checks them as UTF-8 just as it does a utf8mb4
 * string, so the stored text is the same (docs/scale.md, "Where the database servers' ingest CPU
 * goes").
 */
function declaredType(type: number): number {
  return type === TYPE_VAR_STRING ? TYPE_BLOB : type;
}

/**
 * Rows of a bulk execute already in their wire form (per row and value, an indicator and the
 * value's binary form, in the column types `types`), passed as the one parameter of the one-row
 * INSERT they fill: a caller holding raw ids writes them without a string or an array per row
 * (membership, `membership-tuples.ts`). `values` gives the same rows as plain values, row after
 * row, for a connection that does not take bulk executes.
 */
export class EncodedBulkRows {
  constructor(
    readonly types: Uint8Array,
    readonly body: Buffer,
    readonly values: () => unknown[],
  ) {}
}

/**
 * The `COM_STMT_BULK_EXECUTE` packet running statement `statementId` over `rows`, or undefined
 * when it would need splitting.
 */
export function encodeBulkExecuteRows(statementId: number, rows: EncodedBulkRows): Buffer | undefined {
  const { types, body } = rows;
  const head = FIXED_BYTES + 2 * types.length;
  if (head + body.length - 4 > MAX_PACKET_PAYLOAD) return undefined;
  const packet = Buffer.allocUnsafe(head + body.length);
  const offset = writeBulkHead(packet, statementId, types);
  body.copy(packet, offset);
  return packet;
}
