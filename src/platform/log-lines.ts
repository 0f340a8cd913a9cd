/**
 * Readable log lines for a terminal: `mega serve` on a TTY prints `12:03:04.567 INFO message
 * key=value …` instead of pino's JSON, which stays the format for pipes and files (collectors
 * parse it). Only the fields people read are kept: the request line and status, the duration, the
 * error message, and the record's own small fields.
 */
const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Pino's fields, and those `formatRecord` renders itself. */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'req', 'res', 'err', 'responseTime']);
/** A field value longer than this is cut: one record stays one readable line. */
const MAX_VALUE_LENGTH = 200;

interface LogRecord {
  readonly level?: number;
  readonly time?: number;
  readonly msg?: string;
  readonly req?: { readonly method?: string; readonly url?: string };
  readonly res?: { readonly statusCode?: number };
  readonly err?: { readonly message?: string; readonly type?: string };
  readonly responseTime?: number;
  readonly [field: string]: unknown;
}

function clock(time: number | undefined): string {
  const date = new Date(time ?? Date.now());
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function valueText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
  return /[\s"=]/.test(shown) ? JSON.stringify(shown) : shown;
}

/** One JSON log line → one readable line (the input itself when it is not a JSON record). */
export function formatRecord(line: string): string {
  let record: LogRecord;
  try {
    record = JSON.parse(line) as LogRecord;
  } catch {
    return line.trimEnd();
  }
  if (typeof record !== 'object' || record === null) return line.trimEnd();
  const parts = [clock(record.time), (LEVELS[record.level ?? 30] ?? 'INFO').padEnd(5)];
  if (record.req?.method) parts.push(`${record.req.method} ${record.req.url ?? ''}`);
  if (record.res?.statusCode !== undefined) parts.push(String(record.res.statusCode));
  if (record.msg) parts.push(record.msg);
  if (record.responseTime !== undefined) parts.push(`${Math.round(record.responseTime)}ms`);
  for (const [key, value] of Object.entries(record)) {
    if (OWN_FIELDS.has(key) || value === undefined) continue;
    parts.push(`${key}=${valueText(value)}`);
  }
  if (record.err?.message) parts.push(`error=${valueText(record.err.message)}`);
  return parts.join(' ');
}

/** A pino destination that writes `formatRecord` lines to `target`. */
export function readableLogStream(target: NodeJS.WritableStream): { write(chunk: string): boolean } {
  let partial = '';
  return {
    write(chunk: string) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      return target.write(lines.map((line) => `${formatRecord(line)}\n`).join(''));
    },
  };
}
