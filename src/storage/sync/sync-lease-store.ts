import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { nowIso } from './insert-id.js';
import type { SyncWorkersTable } from './schema.js';

export type SyncWorkerRow = Selectable<SyncWorkersTable>;

/** Worker heartbeats and named leases with an expiry (the cross-instance scheduler lock). */
export class SyncLeaseStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async heartbeat(workerId: string, hostname: string): Promise<void> {
    const now = nowIso();
    const updated = await this.db
      .updateTable('sync_workers')
      .set({ last_seen_at: now })
      .where('worker_id', '=', workerId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    try {
      await this.db
        .insertInto('sync_workers')
        .values({ worker_id: workerId, hostname, started_at: now, last_seen_at: now })
        .execute();
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
    }
  }

  async workers(): Promise<SyncWorkerRow[]> {
    return this.db.selectFrom('sync_workers').selectAll().orderBy('worker_id').execute();
  }

  /**
   * Takes the lease `name` for `ttlMs` unless someone else holds an unexpired one. The holder
   * may renew its own lease. Exactly one caller wins a race: the insert is guarded by the primary
   * key, the takeover of an expired lease by a conditional update.
   */
  async tryAcquire(name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const nowText = now.toISOString();
    const taken = await this.db
      .updateTable('sync_locks')
      .set({ holder, expires_at: expiresAt })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', nowText)]))
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) > 0) return true;
    try {
      await this.db.insertInto('sync_locks').values({ name, holder, expires_at: expiresAt }).execute();
      return true;
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
      // MySQL counts only changed rows: a renewal in the same millisecond reports 0 updated.
      const row = await this.db
        .selectFrom('sync_locks')
        .select('holder')
        .where('name', '=', name)
        .executeTakeFirst();
      return row?.holder === holder;
    }
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('sync_locks').where('name', '=', name).where('holder', '=', holder).execute();
  }

  /** Drops leases that expired before `before` (fire-once slot locks pile up otherwise). */
  async purgeExpired(before = new Date()): Promise<void> {
    await this.db.deleteFrom('sync_locks').where('expires_at', '<', before.toISOString()).execute();
  }
}
