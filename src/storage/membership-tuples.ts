import type { ObjectIdSet } from '../git/object-id-set.js';
import { COPY_PIECE_BYTES } from './dialect/copy-binary-encoder.js';
import {
  EncodedBulkRows,
  INDICATOR_VALUE,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
} from './dialect/mysql-bulk-execute.js';
import { writeBinaryField } from './dialect/postgres-arrays.js';
import { positionsInIdOrder } from './id-order.js';

/** A membership tuple's int16 field count, then `repo_id`'s int32 length and int64 value. */
const REPO_FIELD_BYTES = 2 + 4 + 8;
/** `git_id`'s int32 length. */
const ID_LENGTH_BYTES = 4;

/** Sorts `numbers` (of ids in `ids`) in place by id, the order of their hex forms. */
export function sortById(numbers: Int32Array, ids: ObjectIdSet): void {
  const order = positionsInIdOrder(
    numbers.length,
    (at) => ids.wordAt(numbers[at]!, 0),
    (a, b) => ids.compare(numbers[a]!, numbers[b]!),
  );
  const unsorted = numbers.slice();
  for (let at = 0; at < order.length; at++) numbers[at] = unsorted[order[at]!]!;
}

/**
 * The binary COPY tuples of `repository_objects` rows (`repo_id`, `git_id`) for the ids numbered
 * `members`, in that order, written straight from the raw ids: the same bytes as
 * `encodeCopyTuples` with kinds bigint and text makes from `[repoId, hexId]` rows, without a hex
 * string, a row array or a size pass per member. Pieces of about `pieceBytes` (whole rows), each
 * made when it is asked for, so a big push's membership is never encoded whole.
 */
export function* membershipCopyTuples(
  repoId: number,
  members: Int32Array,
  ids: ObjectIdSet,
  pieceBytes = COPY_PIECE_BYTES,
): Generator<Buffer> {
  const prefix = Buffer.alloc(REPO_FIELD_BYTES + ID_LENGTH_BYTES);
  prefix.writeInt16BE(2, 0);
  prefix.writeInt32BE(ids.hexLength, writeBinaryField(prefix, 2, 'bigint', repoId));
  const rowBytes = prefix.length + ids.hexLength;
  const rowsPerPiece = Math.max(1, Math.floor(pieceBytes / rowBytes));
  for (let start = 0; start < members.length; start += rowsPerPiece) {
    const end = Math.min(start + rowsPerPiece, members.length);
    const out = Buffer.allocUnsafe((end - start) * rowBytes);
    let at = 0;
    for (let member = start; member < end; member++) {
      for (let i = 0; i < prefix.length; i++) out[at + i] = prefix[i]!;
      at = ids.writeHex(members[member]!, out, at + prefix.length);
    }
    yield out;
  }
}

/** The column types of a membership row in a bulk execute: `repo_id` int64, `git_id` string. */
const MEMBER_BULK_TYPES = Uint8Array.of(TYPE_LONGLONG, TYPE_VAR_STRING);

/**
 * The `repository_objects` rows (`repo_id`, `git_id`) of the ids numbered `members`, in that
 * order, as the rows of a bulk execute (`EncodedBulkRows`) written straight from the raw ids: the
 * bytes `encodeBulkExecutePacket` makes from `[repoId, hexId]` rows, without a hex string, a row
 * array or a size pass per member (docs/scale.md, "MariaDB's membership rows straight from the
 * raw ids"). Hex ids are shorter than 251 bytes, so each length is one byte.
 */
export function membershipBulkRows(repoId: number, members: Int32Array, ids: ObjectIdSet): EncodedBulkRows {
  const prefix = Buffer.alloc(1 + 8 + 1 + 1);
  prefix[0] = INDICATOR_VALUE;
  prefix.writeBigInt64LE(BigInt(repoId), 1);
  prefix[9] = INDICATOR_VALUE;
  prefix[10] = ids.hexLength;
  const body = Buffer.allocUnsafe(members.length * (prefix.length + ids.hexLength));
  let at = 0;
  for (let member = 0; member < members.length; member++) {
    for (let i = 0; i < prefix.length; i++) body[at + i] = prefix[i]!;
    at = ids.writeHex(members[member]!, body, at + prefix.length);
  }
  const values = () => Array.from(members, (number) => [repoId, ids.idAt(number)]).flat();
  return new EncodedBulkRows(MEMBER_BULK_TYPES, body, values);
}

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * The hex ids numbered `members`, in that order, as the text of a JSON array of strings (what
 * `JSON.stringify` makes of them), written straight from the raw ids: no hex string per member.
 */
export function membershipJson(members: Int32Array, ids: ObjectIdSet): string {
  const itemBytes = ids.hexLength + 3;
  const out = Buffer.allocUnsafe(Math.max(2, members.length * itemBytes + 1));
  out[0] = 0x5b;
  let at = 1;
  for (let member = 0; member < members.length; member++) {
    out[at] = QUOTE;
    at = ids.writeHex(members[member]!, out, at + 1);
    out[at] = QUOTE;
    out[at + 1] = COMMA;
    at += 2;
  }
  // The last member's comma, or the opening bracket's slot of an empty array, is the closing one.
  if (members.length > 0) at--;
  out[at] = 0x5d;
  return out.toString('latin1', 0, at + 1);
}
