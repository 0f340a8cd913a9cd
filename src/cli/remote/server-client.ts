import {
  foreignErrorCode,
  HTTP_STATUS_BY_KIND,
  invalid,
  MegaError,
  type ErrorKind,
} from '../../platform/errors.js';
import { serverToken } from './server-token.js';

const KIND_BY_STATUS = new Map<number, ErrorKind>(
  Object.entries(HTTP_STATUS_BY_KIND).map(([kind, status]) => [status, kind as ErrorKind]),
);

/** Longest response body read (a merge request with its diff is the biggest answer). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * The REST API of a running Mega server, for `mega` commands given `--server URL`. Requests carry
 * the token in the `Authorization` header only; the server's error body comes back as a
 * `MegaError` with the server's code and details, so the CLI prints it like a local error.
 */
export class ServerClient {
  private constructor(
    readonly base: URL,
    private readonly token: string | undefined,
  ) {}

  /** A client of `server` (an http(s) URL without credentials) with its token looked up. */
  static async connect(server: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerClient> {
    let base: URL;
    try {
      base = new URL(server.endsWith('/') ? server : `${server}/`);
    } catch {
      throw invalid('server_url_invalid', `not a server URL: ${server}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw invalid('server_url_invalid', `the server URL must be http or https: ${server}`);
    if (base.username || base.password)
      throw invalid(
        'server_url_invalid',
        'the server URL must not contain credentials: set MEGA_TOKEN or use git credential helper',
      );
    return new ServerClient(base, await serverToken(base, env));
  }

  async get<T>(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query: Readonly<Record<string, string | number | undefined>> = {},
  ): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        redirect: 'error',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new MegaError(
        'unavailable',
        'server_unreachable',
        `cannot reach ${this.base.origin}`,
        {},
        {
          cause: error,
        },
      );
    }
    const text = await readBounded(response);
    const parsed = parseJson(text);
    if (response.ok) return parsed as T;
    throw remoteError(response.status, parsed, this.token !== undefined);
  }
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_RESPONSE_BYTES)
    throw new MegaError('too_large', 'server_response_too_large', 'the server answer is too large');
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES)
    throw new MegaError('too_large', 'server_response_too_large', 'the server answer is too large');
  return text;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The members every RFC 9457 problem has; the others are the error's details. */
const PROBLEM_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'details',
]);

/** The server's problem (`application/problem+json`) as a MegaError with its code and details. */
function remoteError(status: number, body: unknown, hadToken: boolean): MegaError {
  const kind = KIND_BY_STATUS.get(status) ?? 'internal';
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof problem.code === 'string' && typeof problem.detail === 'string') {
    const hint =
      status === 401 && !hadToken ? ' (set MEGA_TOKEN, or store a credential for this server with git)' : '';
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(problem)) if (!PROBLEM_MEMBERS.has(key)) details[key] = value;
    if (typeof problem.details === 'object' && problem.details !== null)
      Object.assign(details, problem.details);
    return new MegaError(kind, foreignErrorCode(problem.code), `${problem.detail}${hint}`, details);
  }
  return new MegaError(kind, foreignErrorCode('server_error'), `the server answered HTTP ${status}`);
}
