import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.js';
import type { DependencyState } from '../platform/readiness.js';
import { parseSyncMessage, serializeSyncMessage, type SyncMessage } from './sync-message.js';

/**
 * Broadcast of sync messages: every subscribed worker receives every message (seed §7.1: each
 * worker keeps its own copy). Delivery is best effort — Redis Pub/Sub drops messages for a worker
 * that is down — which is why requests are also stored and workers reconcile against the database.
 */
export interface SyncBus {
  publish(message: SyncMessage): Promise<void>;
  /**
   * Resolves once the subscription is active; the returned function unsubscribes. `onReconnect`
   * is called each time a lost subscription is back (messages published meanwhile were dropped).
   */
  subscribe(handler: (message: SyncMessage) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** The bus's server as `/readyz` reports it; absent for the in-process bus (nothing to reach). */
  health?(): Promise<DependencyState>;
  close(): Promise<void>;
}

/** Redis that does not answer PING within this is reported as failing. */
export const REDIS_CHECK_TIMEOUT_MS = 2_000;

/**
 * Redis channel names. One channel carries both actions. `prefix` keeps installations that share
 * one Redis apart: `MEGA_REDIS_PREFIX`, else `mega:<installation id>` (`redisPrefixOf`). Pub/Sub
 * channels are global to a Redis server — the database number of the URL does not separate them —
 * so the prefix is what does. A bus without one (a health probe) uses `mega`.
 */
export function syncChannels(prefix = 'mega') {
  return { jobs: `${prefix}:sync:jobs` } as const;
}

/** In-process bus for the embedded default (no Redis): `mega serve` and its own worker. */
export class MemorySyncBus implements SyncBus {
  private readonly emitter = new EventEmitter();

  async publish(message: SyncMessage): Promise<void> {
    // Serialize and parse like the Redis bus does, so both enforce the same schema.
    const text = serializeSyncMessage(message);
    this.emitter.emit('message', parseSyncMessage(text));
  }

  async subscribe(handler: (message: SyncMessage) => void): Promise<() => Promise<void>> {
    this.emitter.on('message', handler);
    return async () => {
      this.emitter.off('message', handler);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * ioredis is loaded only when a Redis URL is configured: it adds ~20 MB to a process, which the
 * embedded default (in-process bus) never needs. It is CommonJS, so require stays synchronous.
 */
function loadRedis(): typeof Redis {
  return (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
}

/** Redis Pub/Sub: one connection publishes, a second (subscriber mode) is opened on demand. */
export class RedisSyncBus implements SyncBus {
  private readonly publisher: Redis;
  private readonly subscribers: Redis[] = [];
  private readonly channel: string;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    prefix?: string,
  ) {
    this.channel = syncChannels(prefix).jobs;
    this.publisher = new (loadRedis())(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    // Heard, so a Redis that goes away is a warning here and a failing dependency on /readyz.
    this.publisher.on('error', (error: Error) =>
      this.logger.warn({ err: error.message }, 'sync bus connection error'),
    );
  }

  async publish(message: SyncMessage): Promise<void> {
    if (this.publisher.status === 'wait') await this.publisher.connect();
    await this.publisher.publish(this.channel, serializeSyncMessage(message));
  }

  async subscribe(
    handler: (message: SyncMessage) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    const subscriber = new (loadRedis())(this.url, { lazyConnect: true, maxRetriesPerRequest: null });
    let subscribed = false;
    // ioredis re-subscribes by itself after a reconnect; `ready` after the first subscription is
    // such a return.
    subscriber.on('ready', () => {
      if (subscribed) onReconnect?.();
    });
    this.subscribers.push(subscriber);
    subscriber.on('error', (error: Error) =>
      this.logger.warn({ err: error.message }, 'sync bus connection error'),
    );
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        handler(parseSyncMessage(text));
      } catch (error) {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'ignoring malformed sync message',
        );
      }
    });
    await subscriber.connect();
    await subscriber.subscribe(this.channel);
    subscribed = true;
    return async () => {
      // Closing the connection ends the subscription too; an UNSUBSCRIBE would wait, while Redis
      // is down, until it returns, and hold a worker's shutdown with it.
      subscriber.disconnect();
    };
  }

  async health(): Promise<DependencyState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`redis did not answer within ${REDIS_CHECK_TIMEOUT_MS / 1000} s`)),
        REDIS_CHECK_TIMEOUT_MS,
      );
    });
    try {
      if (this.publisher.status === 'wait') await Promise.race([this.publisher.connect(), timeout]);
      await Promise.race([this.publisher.ping(), timeout]);
      return { name: 'redis', ok: true };
    } catch (error) {
      const message = `redis is unavailable: ${error instanceof Error ? error.message : String(error)}`;
      return { name: 'redis', ok: false, message };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    for (const subscriber of this.subscribers.splice(0)) subscriber.disconnect();
    this.publisher.disconnect();
  }
}

/** The prefix of an installation's channels: the configured one, else from its id. */
export function redisPrefixOf(installationId: string, configured?: string): string {
  return configured || `mega:${installationId}`;
}

export function createSyncBus(options: { redisUrl?: string; logger: Logger; prefix?: string }): SyncBus {
  return options.redisUrl
    ? new RedisSyncBus(options.redisUrl, options.logger, options.prefix)
    : new MemorySyncBus();
}
