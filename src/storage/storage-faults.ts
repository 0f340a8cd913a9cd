import { MegaError, isMegaError, type ErrorCode } from '../platform/errors.js';

/**
 * The one place where driver and file-system errors become product errors. Two faults matter to a
 * client because they are not its fault and may pass: storage out of space, and the database out
 * of reach. Both are `unavailable` (HTTP 503 with Retry-After; `unpack <reason>` in a push).
 * Everything else is left as it is (an internal error).
 */
export const STORAGE_FULL = 'storage_full';
export const DATABASE_UNAVAILABLE = 'database_unavailable';

/** Node's errno names of a full disk or an exhausted quota (man 2 write: ENOSPC, EDQUOT). */
const FULL_ERRNO_CODES = new Set(['ENOSPC', 'EDQUOT']);
/** SQLite: SQLITE_FULL (https://sqlite.org/rescode.html#full). */
const SQLITE_FULL_CODES = new Set(['SQLITE_FULL']);
/** PostgreSQL SQLSTATE class 53: 53100 disk_full (appendix A of the PostgreSQL manual). */
const POSTGRES_FULL_STATES = new Set(['53100']);
/**
 * MySQL/MariaDB error numbers: 1021 ER_DISK_FULL, 1114 ER_RECORD_FILE_FULL (the table is full),
 * 3 EE_WRITE (error writing a file) and 1030 ER_GET_ERRNO, the last two only with OS error 28.
 */
const MYSQL_FULL_ERRNOS = new Set([1021, 1114]);
const MYSQL_OS_ERROR_ERRNOS = new Set([3, 1030]);
/** OS error 28 (ENOSPC) as MySQL words it: "errno: 28 - No space left" or "Got error 28 from …". */
const MYSQL_OS_ENOSPC = /errno: 28\b|error 28\b/i;

/** Socket errors of a database server that is down, restarting or unreachable. */
const CONNECTION_ERRNO_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL: class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up), 53300 too_many_connections.
 */
const POSTGRES_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const POSTGRES_CONNECTION_CLASS = '08';
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** What node-postgres says, without a code, when its socket closes or a connect times out. */
const POSTGRES_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Client was closed and is not queryable/,
];
/** mysql2: lost or refused connections, too many connections (1040), server shutting down (1053). */
const MYSQL_UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

interface DriverError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly message?: unknown;
  readonly sqlMessage?: unknown;
  readonly errors?: unknown;
}

function fieldsOf(error: unknown): DriverError | undefined {
  return typeof error === 'object' && error !== null ? (error as DriverError) : undefined;
}

function isFull(error: DriverError): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (FULL_ERRNO_CODES.has(code) || SQLITE_FULL_CODES.has(code) || POSTGRES_FULL_STATES.has(code))
    return true;
  if (typeof error.errno !== 'number') return false;
  if (MYSQL_FULL_ERRNOS.has(error.errno)) return true;
  const text = String(error.sqlMessage ?? error.message ?? '');
  return MYSQL_OS_ERROR_ERRNOS.has(error.errno) && MYSQL_OS_ENOSPC.test(text);
}

function isUnreachable(error: DriverError): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (CONNECTION_ERRNO_CODES.has(code) || MYSQL_UNAVAILABLE_CODES.has(code)) return true;
  if (POSTGRES_UNAVAILABLE_STATES.has(code)) return true;
  if (SQLSTATE.test(code) && code.startsWith(POSTGRES_CONNECTION_CLASS)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  if (code === '' && POSTGRES_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Node reports a refused connection to every address of a host name as one AggregateError.
  return Array.isArray(error.errors) && error.errors.some((inner) => isUnreachable(fieldsOf(inner) ?? {}));
}

/** The code a driver or the OS gave, for logs and the error's details. */
function causeCode(error: DriverError): string {
  if (typeof error.code === 'string' && error.code !== '') return error.code;
  if (typeof error.errno === 'number') return `errno ${error.errno}`;
  return 'connection lost';
}

function fault(code: ErrorCode, message: string, fields: DriverError, error: unknown): MegaError {
  const cause = causeCode(fields);
  return new MegaError('unavailable', code, message.replace('{cause}', cause), { cause }, { cause: error });
}

/**
 * The typed fault behind a database driver's error (full storage or an unreachable database), or
 * undefined when it is neither. MegaErrors are returned as they are.
 */
export function classifyDatabaseFault(error: unknown): MegaError | undefined {
  if (isMegaError(error)) return error;
  const fields = fieldsOf(error);
  if (!fields) return undefined;
  if (isUnreachable(fields)) {
    return fault(
      DATABASE_UNAVAILABLE,
      'the database is unavailable ({cause}); try again later',
      fields,
      error,
    );
  }
  return classifyFileFault(error);
}

/**
 * The typed fault behind a file-system error: only a full disk. Socket errors here belong to the
 * client's connection (a push's body), not to the database, and are left alone.
 */
export function classifyFileFault(error: unknown): MegaError | undefined {
  if (isMegaError(error)) return error;
  const fields = fieldsOf(error);
  if (!fields || !isFull(fields)) return undefined;
  return fault(
    STORAGE_FULL,
    'the server is out of storage space ({cause}); try again once space is freed',
    fields,
    error,
  );
}

/** `error` as its typed fault when it is a database fault, else unchanged. */
export function asDatabaseFault(error: unknown): unknown {
  return classifyDatabaseFault(error) ?? error;
}

/** `error` as its typed fault when it is a full disk, else unchanged. */
export function asFileFault(error: unknown): unknown {
  return classifyFileFault(error) ?? error;
}

export function isStorageFull(error: unknown): boolean {
  return isMegaError(error, 'unavailable', STORAGE_FULL);
}

/** How long a full disk seen by a write keeps the server "not ready" after it happened. */
export const STORAGE_FULL_MEMORY_MS = 60_000;

/**
 * The last full-storage fault a write met, so `/readyz` can say so even when space came back for a
 * moment (a failed push frees its temp files). One per process; the database handle carries it.
 */
export class StorageFaultLog {
  private lastFull: { readonly at: number; readonly message: string } | undefined;

  /** Notes `error` when it is a full storage; other errors are ignored. */
  record(error: unknown): void {
    if (isStorageFull(error)) this.lastFull = { at: Date.now(), message: (error as MegaError).message };
  }

  /** The full-storage fault of the last `withinMs`, if any. */
  recentFull(
    withinMs = STORAGE_FULL_MEMORY_MS,
  ): { readonly at: number; readonly message: string } | undefined {
    return this.lastFull && Date.now() - this.lastFull.at <= withinMs ? this.lastFull : undefined;
  }
}
