import { sql, type RawBuilder } from 'kysely';
import { MegaError } from '../../platform/errors.js';

/**
 * Values written into the text of a statement that cannot bind parameters (PostgreSQL's COPY).
 * Only values of a strict shape pass, so nothing a caller passes can end the literal: an object
 * id is 40 or 64 lower-case hex digits (SHA-1, SHA-256), a row key a non-negative safe integer.
 * Anything else throws `invalid`/`copy_literal` before a statement is built.
 */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function refused(what: string): MegaError {
  return new MegaError('invalid', 'copy_literal', `refusing to write ${what} into a COPY statement`);
}

/** `id` as a string literal, when it is an object id in lower-case hex. */
export function objectIdLiteral(id: string): RawBuilder<string> {
  if (typeof id !== 'string' || !OBJECT_ID.test(id)) throw refused('a value that is not an object id');
  return sql.lit(id);
}

/** `value` as a number literal, when it is a non-negative safe integer. */
export function rowKeyLiteral(value: number): RawBuilder<number> {
  if (!Number.isSafeInteger(value) || value < 0) throw refused('a value that is not a row key');
  return sql.lit(value);
}
