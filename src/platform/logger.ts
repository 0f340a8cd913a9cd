import { pino, type Logger } from 'pino';
import { readableLogStream } from './log-lines.js';

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

/** Query parameters whose values are credentials whatever they look like. */
const SECRET_QUERY_KEY = /token|secret|passw|auth|key|signature|credential|session/i;
/** A value that is a Mega token, under whatever name a client put it. */
const TOKEN_VALUE = /^mega_/i;

/**
 * `url` with the values of credential-like query parameters replaced by `[redacted]`
 * (`?access_token=…`, `?token=…`, any value starting with `mega_`): a token passed in a URL must
 * never reach a log line. Other parameters (`service=git-upload-pack`) stay readable.
 */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const key = equals < 0 ? pair : pair.slice(0, equals);
      const value = equals < 0 ? '' : pair.slice(equals + 1);
      const secret = SECRET_QUERY_KEY.test(safeDecode(key)) || TOKEN_VALUE.test(safeDecode(value).trim());
      return secret ? `${key}=[redacted]` : pair;
    });
  return `${url.slice(0, question)}?${query.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly ip?: string;
  readonly socket?: { readonly remotePort?: number };
}

/**
 * How a request appears in log records (Fastify's "incoming request" lines use the `req`
 * serializer of the logger it is given): its URL with the query's credentials redacted.
 */
function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export interface LoggerOptions {
  readonly level?: string;
  /** Where log lines go; stderr by default so stdout stays for command output. */
  readonly destination?: NodeJS.WritableStream;
  /** `json` (pipes, files, collectors) or `lines` (people); default: `lines` on a TTY only. */
  readonly format?: 'json' | 'lines';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const target = options.destination ?? process.stderr;
  const format = options.format ?? ((target as { isTTY?: boolean }).isTTY ? 'lines' : 'json');
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    (format === 'lines' ? readableLogStream(target) : target) as pino.DestinationStream,
  );
}
