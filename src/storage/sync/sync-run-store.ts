import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertReturningId, nowIso } from './insert-id.js';
import type { GitSyncLogTable, SyncLogStatus, SyncRequestsTable } from './schema.js';

export type SyncRequestRow = Selectable<SyncRequestsTable>;
export type SyncLogRow = Selectable<GitSyncLogTable>;
export type NewSyncLog = Omit<SyncLogRow, 'id'>;
export type SyncLogUpdate = Partial<Omit<SyncLogRow, 'id' | 'tenant_id' | 'repository_id' | 'worker_id'>>;

export interface SyncLogFilter {
  readonly tenantId: number;
  readonly repositoryId?: number;
  readonly status?: SyncLogStatus;
  readonly taskType?: string;
  readonly workerId?: string;
  readonly errorClass?: string;
  /** ISO timestamps bounding `started_at`. */
  readonly since?: string;
  readonly until?: string;
}

export interface SyncSummaryRow {
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  readonly running: number;
  readonly averageDurationMs: number | null;
  readonly failuresByClass: Record<string, number>;
  /** Sum over (repository, worker) of the disk use of the newest successful copy. */
  readonly storageBytes: number;
}

/** Durable sync requests, per-worker results, and the `git_sync_log`. */
export class SyncRunStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async insertRequest(row: Omit<SyncRequestRow, 'id' | 'created_at'>): Promise<number> {
    return insertReturningId(
      this.db.insertInto('sync_requests').values({ ...row, created_at: nowIso() }),
      this.capabilities,
    );
  }

  /**
   * What a worker still owes: the newest request of each repository (older ones are superseded:
   * syncing to the newest state covers them) that this worker has not recorded a result for.
   */
  async pendingRequests(workerId: string, limit = 1000): Promise<SyncRequestRow[]> {
    const newest = this.db
      .selectFrom('sync_requests')
      .select((eb) => eb.fn.max('id').as('id'))
      .groupBy('repository_id');
    return this.db
      .selectFrom('sync_requests as r')
      .selectAll('r')
      .where('r.id', 'in', newest)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('sync_request_results as d')
              .select('d.request_id')
              .whereRef('d.request_id', '=', 'r.request_id')
              .where('d.worker_id', '=', workerId),
          ),
        ),
      )
      .orderBy('r.id')
      .limit(limit)
      .execute();
  }

  async requestById(requestId: string): Promise<SyncRequestRow | undefined> {
    return this.db
      .selectFrom('sync_requests')
      .selectAll()
      .where('request_id', '=', requestId)
      .executeTakeFirst();
  }

  /** Records that a worker finished a request; the first result per (request, worker) wins. */
  async recordResult(requestId: string, workerId: string, status: SyncLogStatus): Promise<void> {
    const insert = this.db
      .insertInto('sync_request_results')
      .values({ request_id: requestId, worker_id: workerId, status, finished_at: nowIso() });
    await (
      this.capabilities.insertIgnore === 'insert-ignore'
        ? insert.ignore()
        : insert.onConflict((c) => c.doNothing())
    ).execute();
  }

  async resultsOf(requestId: string): Promise<Array<{ worker_id: string; status: string }>> {
    return this.db
      .selectFrom('sync_request_results')
      .select(['worker_id', 'status'])
      .where('request_id', '=', requestId)
      .orderBy('worker_id')
      .execute();
  }

  async insertLog(row: NewSyncLog): Promise<number> {
    return insertReturningId(this.db.insertInto('git_sync_log').values(row), this.capabilities);
  }

  async updateLog(id: number, patch: SyncLogUpdate): Promise<void> {
    await this.db.updateTable('git_sync_log').set(patch).where('id', '=', id).execute();
  }

  /**
   * Closes the rows a worker left `running` when it died: they are failed, not left open forever.
   * Returns how many.
   */
  async failInterrupted(workerId: string, message: string): Promise<number> {
    const result = await this.db
      .updateTable('git_sync_log')
      .set({ status: 'failed', error_class: 'unknown', error_message: message, finished_at: nowIso() })
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async logById(tenantId: number, id: number): Promise<SyncLogRow | undefined> {
    return this.db
      .selectFrom('git_sync_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Newest first; `beforeId` pages backwards (keyset paging stays stable while rows arrive). */
  async listLogs(filter: SyncLogFilter, page: { limit: number; beforeId?: number }): Promise<SyncLogRow[]> {
    let query = this.db.selectFrom('git_sync_log').selectAll().where('tenant_id', '=', filter.tenantId);
    if (filter.repositoryId !== undefined) query = query.where('repository_id', '=', filter.repositoryId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.taskType !== undefined) query = query.where('task_type', '=', filter.taskType);
    if (filter.workerId !== undefined) query = query.where('worker_id', '=', filter.workerId);
    if (filter.errorClass !== undefined) query = query.where('error_class', '=', filter.errorClass);
    if (filter.since !== undefined) query = query.where('started_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('started_at', '<', filter.until);
    if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
    return query.orderBy('id', 'desc').limit(page.limit).execute();
  }

  async summary(tenantId: number, repositoryId?: number, since?: string): Promise<SyncSummaryRow> {
    let base = this.db.selectFrom('git_sync_log').where('tenant_id', '=', tenantId);
    if (repositoryId !== undefined) base = base.where('repository_id', '=', repositoryId);
    if (since !== undefined) base = base.where('started_at', '>=', since);
    const byStatus = await base
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const count = (status: string) => Number(byStatus.find((row) => row.status === status)?.n ?? 0);
    const avg = await base
      .where('status', '=', 'success')
      .select((eb) => eb.fn.avg<number | string | null>('duration_ms').as('avg'))
      .executeTakeFirst();
    const classes = await base
      .where('status', '=', 'failed')
      .select(['error_class', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('error_class')
      .execute();
    const newestCopies = this.db
      .selectFrom('git_sync_log')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'success')
      .$if(repositoryId !== undefined, (q) => q.where('repository_id', '=', repositoryId as number))
      .groupBy(['repository_id', 'worker_id']);
    const storage = await this.db
      .selectFrom('git_sync_log')
      .select(sql<number | string | null>`sum(bytes_on_disk)`.as('bytes'))
      .where('id', 'in', newestCopies)
      .executeTakeFirst();
    const total = byStatus.reduce((sum, row) => sum + Number(row.n), 0);
    return {
      total,
      success: count('success'),
      failed: count('failed'),
      running: count('running'),
      averageDurationMs: avg?.avg === null || avg?.avg === undefined ? null : Number(avg.avg),
      failuresByClass: Object.fromEntries(
        classes.map((row) => [row.error_class ?? 'unknown', Number(row.n)]),
      ),
      storageBytes: Number(storage?.bytes ?? 0),
    };
  }
}
