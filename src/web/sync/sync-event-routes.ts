import type { FastifyInstance, FastifyReply } from 'fastify';
import { unavailable } from '../../platform/errors.js';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { logJson } from './sync-log-routes.js';
import { PREFIX, TENANT_ERRORS, TenantParams, tenantRoute, type SyncRouteKit } from './sync-route-kit.js';

/**
 * Live sync runs as server-sent events (`text/event-stream`). Workers may run in other processes,
 * so the one source of truth is the sync log in the database: each stream reads the tenant's
 * newest rows every `pollMs` and sends the rows that appeared or changed since the last read.
 * Streams are bounded (in all and per user) because each one polls; a stream ends when its client
 * goes away or the server closes.
 */
export interface SyncEventLimits {
  /** Time between two reads of the log. */
  readonly pollMs: number;
  /** Open streams in this process; one more is answered 503. */
  readonly maxStreams: number;
  /** Open streams of one user (a few tabs). */
  readonly maxStreamsPerUser: number;
  /** A comment line after this much silence, so proxies keep the connection. */
  readonly keepAliveMs: number;
}

export const SYNC_EVENT_LIMITS: SyncEventLimits = {
  pollMs: 1500,
  maxStreams: 64,
  maxStreamsPerUser: 4,
  keepAliveMs: 15_000,
};

/** The newest rows each read compares: a run older than this many is not followed any more. */
const WINDOW = 50;
/** How a browser's EventSource (or our fetch reader) waits before reconnecting. */
const RETRY_MS = 3000;

/** What a row shows: a change in any of these is sent again. */
const fingerprint = (row: SyncLogRow) =>
  [row.status, row.finished_at, row.to_commit, row.error_class, row.command_output?.length ?? 0].join('|');

export function syncEventRoutes(
  app: FastifyInstance,
  { route, service, tenantOf }: SyncRouteKit,
  limits: SyncEventLimits = SYNC_EVENT_LIMITS,
): void {
  const open = new Set<() => void>();
  const perUser = new Map<number, number>();
  // An open stream is never idle: without this, closing the server would wait for every client.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/events`,
    operationId: 'streamSyncEvents',
    summary: 'Live sync runs (server-sent events)',
    params: TenantParams,
    responses: {
      200: {
        description:
          '`text/event-stream`: first `snapshot` with the newest log rows (`{items}`, the rows of `listSyncLogs`), then `runs` ' +
          `with each row that appeared or changed (read every ${limits.pollMs} ms)`,
        mediaType: 'text/event-stream',
      },
    },
    errors: { ...TENANT_ERRORS, 503: 'Too many open event streams; try again later' },
    handler: async (request, reply) => {
      const { tenant, user } = await tenantOf(request);
      const mine = perUser.get(user.userId) ?? 0;
      if (open.size >= limits.maxStreams || mine >= limits.maxStreamsPerUser) {
        throw unavailable('sync_events_busy', 'too many open sync event streams; try again later');
      }
      perUser.set(user.userId, mine + 1);
      const stream = startStream(reply);
      const seen = new Map<number, string>();
      let timer: NodeJS.Timeout | undefined;
      let lastWrite = Date.now();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        open.delete(end);
        const left = (perUser.get(user.userId) ?? 1) - 1;
        if (left > 0) perUser.set(user.userId, left);
        else perUser.delete(user.userId);
        if (!stream.writableEnded) stream.end();
      };
      open.add(end);
      // The response's `close` is the connection's end (the client went away, or we ended it).
      stream.on('close', end);
      stream.on('error', end);

      const send = (event: string, rows: SyncLogRow[]) => {
        stream.write(`event: ${event}\ndata: ${JSON.stringify({ items: rows.map(logJson) })}\n\n`);
        lastWrite = Date.now();
      };
      const read = async (first: boolean) => {
        const rows = await service.listLogs({ tenantId: tenant }, { limit: WINDOW });
        const changed = rows.filter((row) => seen.get(row.id) !== fingerprint(row));
        seen.clear();
        for (const row of rows) seen.set(row.id, fingerprint(row));
        if (ended) return;
        if (first) send('snapshot', rows);
        else if (changed.length > 0) send('runs', changed);
        else if (Date.now() - lastWrite >= limits.keepAliveMs) {
          stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
      };
      // One read at a time: the next is scheduled when the previous has answered.
      const loop = async (first: boolean) => {
        try {
          await read(first);
        } catch (error) {
          request.log.warn({ err: error }, 'sync event stream: reading the log failed');
        }
        if (!ended) timer = setTimeout(() => void loop(false), limits.pollMs);
      };
      await loop(true);
    },
  });
}

/** Takes the reply over (no compression, ETag or JSON serialisation) and writes the stream's head. */
function startStream(reply: FastifyReply) {
  void reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold the events back in their buffer.
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
  });
  raw.write(`retry: ${RETRY_MS}\n\n`);
  return raw;
}
