import { z } from 'zod';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { id, ItemParams, PREFIX, TenantParams, tenantRoute, type SyncRouteKit } from './sync-route-kit.js';
import { SyncLogSchema, SyncSummarySchema } from './sync-schemas.js';

const MAX_LOG_PAGE = 200;
const isoTime = z.string().datetime();
const LogQuery = z
  .object({
    repository_id: id.optional().describe('One repository'),
    status: z.enum(['running', 'success', 'failed', 'skipped']).optional().describe('One status'),
    task_type: z.string().max(16).optional().describe('scheduled, manual, …'),
    worker_id: z.string().max(100).optional().describe('One worker'),
    error_class: z.string().max(32).optional().describe('auth, not_found, network, timeout, …'),
    since: isoTime.optional().describe('ISO time'),
    until: isoTime.optional().describe('ISO time'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_LOG_PAGE)
      .default(50)
      .describe(`Page size (≤ ${MAX_LOG_PAGE})`),
    before: id.optional().describe('Page: rows with a smaller id'),
  })
  .strict();
const SummaryQuery = z
  .object({
    repository_id: id.optional().describe('One repository'),
    since: isoTime.optional().describe('ISO time'),
  })
  .strict();

/** A tenant's sync log and its summary. */
export function syncLogRoutes({ route, service, tenantOf }: SyncRouteKit): void {
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/logs`,
    operationId: 'listSyncLogs',
    summary: 'Sync log, newest first, filtered',
    params: TenantParams,
    query: LogQuery,
    responses: {
      200: {
        description: 'One page of the log; `next_before` pages on',
        schema: z.object({ logs: z.array(SyncLogSchema), next_before: z.int().nullable() }),
      },
    },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const query = request.query;
      const rows = await service.listLogs(
        {
          tenantId: tenant,
          repositoryId: query.repository_id,
          status: query.status,
          taskType: query.task_type,
          workerId: query.worker_id,
          errorClass: query.error_class,
          since: query.since,
          until: query.until,
        },
        { limit: query.limit, beforeId: query.before },
      );
      const last = rows[rows.length - 1];
      return { logs: rows.map(logJson), next_before: rows.length === query.limit && last ? last.id : null };
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/logs/:id`,
    operationId: 'getSyncLog',
    summary: 'One sync log row',
    params: ItemParams,
    responses: { 200: { description: 'The row', schema: SyncLogSchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      return logJson(await service.log(tenant, request.params.id));
    },
  });
  route({
    ...tenantRoute,
    method: 'GET',
    path: `${PREFIX}/tenants/:tenant/summary`,
    operationId: 'getSyncSummary',
    summary: 'Success rate, average duration, failure reasons, storage used',
    params: TenantParams,
    query: SummaryQuery,
    responses: { 200: { description: 'The summary', schema: SyncSummarySchema } },
    handler: async (request) => {
      const { tenant } = await tenantOf(request);
      const query = request.query;
      const summary = await service.summary(tenant, query.repository_id, query.since);
      const finished = summary.success + summary.failed;
      return {
        total: summary.total,
        success: summary.success,
        failed: summary.failed,
        running: summary.running,
        success_rate: finished === 0 ? null : summary.success / finished,
        average_duration: summary.averageDurationMs === null ? null : summary.averageDurationMs / 1000,
        failure_reasons: summary.failuresByClass,
        storage_bytes: summary.storageBytes,
      };
    },
  });
}

/** A log row with the seed's field names (`duration` in seconds). */
export function logJson(row: SyncLogRow) {
  const { duration_ms, ...rest } = row;
  return { ...rest, duration: duration_ms === null ? null : duration_ms / 1000 };
}
