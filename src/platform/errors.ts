import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/**
 * One error type for the whole product. `code` is stable and machine-readable (tests and clients
 * match on it); `kind` decides the HTTP status and the retry policy; `details` carries structured
 * facts instead of interpolating them into the message.
 */
export type ErrorKind =
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal'
  | 'too_large'
  /** A body of a media type the endpoint does not take (415). */
  | 'unsupported_media'
  /** Too many failed attempts from one client; try again later (429, with Retry-After). */
  | 'rate_limited';

/**
 * A code another component chose (Fastify's `FST_ERR_*`), passed through so a client sees what the
 * framework reported. Branded, so a misspelt literal of our own never type-checks as one.
 */
export type ForeignErrorCode = string & { readonly foreignErrorCode: true };

export const foreignErrorCode = (code: string): ForeignErrorCode => code as ForeignErrorCode;

export class MegaError extends Error {
  readonly code: ErrorCode | ForeignErrorCode;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    kind: ErrorKind,
    code: ErrorCode | ForeignErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MegaError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('not_found', code, message, details);
export const conflict = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('conflict', code, message, details);
export const invalid = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('invalid', code, message, details);
export const unauthorized = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('unauthorized', code, message, details);
export const forbidden = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('forbidden', code, message, details);
export const tooLarge = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('too_large', code, message, details);
export const rateLimited = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('rate_limited', code, message, details);
export const unavailable = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new MegaError('unavailable', code, message, details);

/** The single mapping from error kind to HTTP status. */
export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Whether `error` is a MegaError, of `kind` and with `code` when they are given. */
export function isMegaError<K extends ErrorKind = ErrorKind, C extends MegaError['code'] = MegaError['code']>(
  error: unknown,
  kind?: K,
  code?: C,
): error is MegaError & { readonly kind: K; readonly code: C } {
  return (
    error instanceof MegaError &&
    (kind === undefined || error.kind === kind) &&
    (code === undefined || error.code === code)
  );
}
