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
  | 'too_large';

export class MegaError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    kind: ErrorKind,
    code: string,
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

export const notFound = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('not_found', code, message, details);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('conflict', code, message, details);
export const invalid = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('invalid', code, message, details);
export const unauthorized = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('unauthorized', code, message, details);
export const forbidden = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('forbidden', code, message, details);
export const tooLarge = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('too_large', code, message, details);
export const unavailable = (code: string, message: string, details?: Record<string, unknown>) =>
  new MegaError('unavailable', code, message, details);

/** The single mapping from error kind to HTTP status. */
export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

export function isMegaError(error: unknown, kind?: ErrorKind): error is MegaError {
  return error instanceof MegaError && (kind === undefined || error.kind === kind);
}
