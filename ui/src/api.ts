import { useCallback, useEffect, useRef, useState } from 'react';
import { getToken } from './auth';

/**
 * An error answered by the server as an RFC 9457 problem (`application/problem+json`):
 * `code` is its stable code, the message its `detail`, `details` its extension members.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return {
    Accept: 'application/json, application/problem+json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    ...extra,
  };
}

export async function apiRequest<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const data = parseBody(text, response.ok);
  if (!response.ok) throw problemError(response, data);
  return data as T;
}

/** The members every problem has; the others are the error's details. */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'details']);

/** The `ApiError` of a refused request: its problem body, else (a proxy's page) the status alone. */
function problemError(response: Response, data: unknown): ApiError {
  const problem = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(problem)) if (!PROBLEM_MEMBERS.has(key)) details[key] = value;
  if (typeof problem.details === 'object' && problem.details !== null)
    Object.assign(details, problem.details);
  return new ApiError(
    response.status,
    typeof problem.code === 'string' ? problem.code : 'http_error',
    typeof problem.detail === 'string' ? problem.detail : response.statusText,
    details,
  );
}

/**
 * The JSON body; an error answered by something else than the API (a proxy's HTML page) becomes
 * the status alone, so a page shows the error instead of failing on the body.
 */
function parseBody(text: string, ok: boolean): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (ok) throw error;
    return undefined;
  }
}

export const apiGet = <T>(url: string) => apiRequest<T>('GET', url);

/**
 * One page of a list, as every list of the API answers it: pass `nextCursor` (or `prevCursor`)
 * back as `cursor`; `total` where the server knows it.
 */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
  readonly prevCursor?: string;
  readonly total?: number;
}

/** Builds `/api/v1/<path>?k=v` skipping undefined values. */
export function apiUrl(path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return `/api/v1/${path}${search ? `?${search}` : ''}`;
}

export type Loadable<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'error'; readonly error: ApiError | Error }
  | { readonly state: 'ready'; readonly data: T };

/**
 * Loads `url` (re-loads when it changes or `reload()` is called). With `keepWhileReloading`, a
 * reload of the same URL keeps showing the data it has until the new answer arrives (pages that
 * update live would otherwise flash "Loading…" at every change).
 */
export function useApi<T>(
  url: string | undefined,
  options: { keepWhileReloading?: boolean } = {},
): Loadable<T> & { reload: () => void } {
  const [result, setResult] = useState<Loadable<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const loadedUrl = useRef<string | undefined>(undefined);
  const keep = options.keepWhileReloading === true;
  useEffect(() => {
    if (!url) return;
    let cancelled = false;
    if (!keep || loadedUrl.current !== url) setResult({ state: 'loading' });
    loadedUrl.current = url;
    apiGet<T>(url).then(
      (data) => !cancelled && setResult({ state: 'ready', data }),
      (error: unknown) =>
        !cancelled &&
        setResult({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      cancelled = true;
    };
  }, [url, generation, keep]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...result, reload };
}
