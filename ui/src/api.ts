import { useCallback, useEffect, useRef, useState } from 'react';
import { getToken } from './auth';

/** An error answered by the server in its one JSON shape `{error:{code,message,details}}`. */
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
  return { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

export async function apiRequest<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const data = parseBody(text, response.ok);
  if (!response.ok) {
    const error = (data as { error?: { code: string; message: string; details?: Record<string, unknown> } })
      ?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? response.statusText,
      error?.details,
    );
  }
  return data as T;
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
