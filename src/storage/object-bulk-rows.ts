import {
  EncodedBulkRows,
  INDICATOR_VALUE,
  TYPE_BLOB,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
} from './dialect/mysql-bulk-execute.js';
import { lengthCodedBytes, writeLengthCoded } from './dialect/mysql-execute-packet.js';
import {
  INDICATOR_NULL,
  INTEGER_BYTES,
  SHORT_STRING_BYTES,
  writeAscii,
  writeInteger,
} from './bulk-row-values.js';
import type { ObjectIdSet } from '../git/object-id-set.js';
import { TYPE_NAMES, type ObjectRowColumns } from './object-copy-rows.js';

const DATABASE = 'database';
const CHUNKS = 'chunks';

/** The columns' types, as `encodeBulkExecutePacket` picks them for these rows. */
const OBJECT_BULK_TYPES = Uint8Array.of(
  TYPE_VAR_STRING,
  TYPE_VAR_STRING,
  TYPE_VAR_STRING,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
  TYPE_LONGLONG,
  TYPE_LONGLONG,
  TYPE_BLOB,
);

/**
 * One flush's `raw_objects` rows (`columns` at the positions `order`, in id order) as the rows of
 * bulk executes (`EncodedBulkRows`), the bytes `encodeBulkExecutePacket` makes of their values,
 * in statements of about `statementBytes` of payload (whole rows; a bigger row alone), as
 * `batchRows` splits them. The ids' hex is written straight from the raw ids: no hex string per
 * object and delta base, no row array per object (docs/scale.md, "MariaDB's object rows from the
 * raw ids"). Each column's kind is known, so there is one size pass and one write pass, without
 * the generic encoder's type and ASCII checks per value ("MariaDB's object rows as bytes"): hex
 * ids, type names and storage kinds are ASCII shorter than 251 characters, so each is its
 * characters after a one-byte length.
 */
export function* objectBulkStatements(
  columns: ObjectRowColumns,
  order: Int32Array,
  statementBytes: number,
): Generator<EncodedBulkRows> {
  const { data } = columns;
  let start = 0;
  let bytes = 0;
  for (let at = 0; at < order.length; at++) {
    const size = data[order[at]!]?.length ?? 0;
    if (at > start && bytes + size > statementBytes) {
      yield objectBulkRows(columns, order.subarray(start, at));
      start = at;
      bytes = 0;
    }
    bytes += size;
  }
  if (order.length > start) yield objectBulkRows(columns, order.subarray(start));
}

/** The rows of `columns` at `positions`, in that order, as one bulk execute's rows. */
function objectBulkRows(columns: ObjectRowColumns, positions: Int32Array): EncodedBulkRows {
  const { ids, numbers, bases, types, chunked, depths, sizes, payloadSizes, data } = columns;
  const hexLength = ids.hexLength;
  let size = 0;
  for (const row of positions) {
    const payload = data[row];
    size +=
      3 * SHORT_STRING_BYTES +
      hexLength +
      TYPE_NAMES[types[row]!]!.length +
      (chunked[row] ? CHUNKS : DATABASE).length +
      3 * INTEGER_BYTES +
      (bases[row]! >= 0 ? SHORT_STRING_BYTES + hexLength : 1) +
      (payload ? 1 + lengthCodedBytes(payload.length) + payload.length : 1);
  }
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const row of positions) {
    at = writeHexId(body, at, ids, numbers[row]!);
    at = writeAscii(body, at, TYPE_NAMES[types[row]!]!);
    at = writeAscii(body, at, chunked[row] ? CHUNKS : DATABASE);
    at = writeInteger(body, at, sizes[row]!);
    const base = bases[row]!;
    if (base >= 0) at = writeHexId(body, at, ids, base);
    else body[at++] = INDICATOR_NULL;
    at = writeInteger(body, at, depths[row]!);
    at = writeInteger(body, at, payloadSizes[row]!);
    const payload = data[row];
    if (payload) {
      body[at++] = INDICATOR_VALUE;
      at = writeLengthCoded(body, at, payload.length);
      body.set(payload, at);
      at += payload.length;
    } else {
      body[at++] = INDICATOR_NULL;
    }
  }
  return new EncodedBulkRows(OBJECT_BULK_TYPES, body, () => objectRowValues(columns, positions));
}

/** The hex id numbered `number`: indicator, one-byte length, its digits from the raw id. */
function writeHexId(body: Buffer, at: number, ids: ObjectIdSet, number: number): number {
  body[at] = INDICATOR_VALUE;
  body[at + 1] = ids.hexLength;
  return ids.writeHex(number, body, at + SHORT_STRING_BYTES);
}

/**
 * The rows' plain values, flattened (`RAW_OBJECT_COLUMNS`' order, hex ids): what a connection
 * that cannot take bulk executes binds instead.
 */
function objectRowValues(columns: ObjectRowColumns, positions: Int32Array): unknown[] {
  const { ids, numbers, bases, types, chunked, depths, sizes, payloadSizes, data } = columns;
  const values: unknown[] = [];
  for (const row of positions) {
    const base = bases[row]!;
    values.push(
      ids.idAt(numbers[row]!),
      TYPE_NAMES[types[row]!]!,
      chunked[row] ? CHUNKS : DATABASE,
      sizes[row]!,
      base >= 0 ? ids.idAt(base) : null,
      depths[row]!,
      payloadSizes[row]!,
      data[row]!,
    );
  }
  return values;
}
