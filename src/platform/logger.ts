import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Field names that may carry a secret anywhere in a log record. Secrets must never reach a log in
 * the first place; redaction is the second line of defence.
 */
const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  // LFS transfer authorization (src/lfs/transfer-token.ts) travels in its own header.
  'req.headers["mega-lfs-transfer"]',
  'headers["mega-lfs-transfer"]',
];

export interface LoggerOptions {
  readonly level?: string;
  /** Where log lines go; stderr by default so stdout stays for command output. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}
