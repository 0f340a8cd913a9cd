import { useEffect, useRef, useState } from 'react';
import { apiUrl } from './api';
import { getToken } from './auth';
import type { SyncLog } from './components/sync-model';
import { eventItems, parseEvents } from './event-stream';

export type LiveState = 'connecting' | 'live' | 'offline' | 'refused';

const RETRY_MS = 3000;

/**
 * Follows a tenant's sync runs over the server-sent events endpoint and calls `onRuns` with the
 * runs that appeared or changed. `fetch` reads the stream (an `EventSource` cannot send the Bearer token, and
 * the token never goes in a URL); a dropped connection is retried, a refusal (4xx) is not.
 */
export function useSyncEvents(tenant: number, onRuns: (runs: SyncLog[]) => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const callback = useRef(onRuns);
  callback.current = onRuns;
  useEffect(() => {
    const controller = new AbortController();
    let retry: number | undefined;
    const connect = async () => {
      setState('connecting');
      try {
        const token = getToken();
        const response = await fetch(apiUrl(`sync/tenants/${tenant}/events`), {
          headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          // A refusal (401/403/404) stays one until the page is loaded again; a busy server retries.
          const transient = response.status >= 500 || response.ok;
          setState(transient ? 'offline' : 'refused');
          if (transient) retry = window.setTimeout(() => void connect(), RETRY_MS);
          return;
        }
        setState('live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          const parsed = parseEvents(buffer + chunk.value);
          buffer = parsed.rest;
          const runs = parsed.events.filter((event) => event.event === 'runs');
          if (runs.length > 0) callback.current(runs.flatMap((event) => eventItems<SyncLog>(event)));
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      setState('offline');
      retry = window.setTimeout(() => void connect(), RETRY_MS);
    };
    void connect();
    return () => {
      controller.abort();
      window.clearTimeout(retry);
    };
  }, [tenant]);
  return state;
}
