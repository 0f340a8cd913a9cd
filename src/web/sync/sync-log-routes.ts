import { z } from 'zod';
import type { SyncLogRow } from '../../storage/sync/sync-run-store.js';
import { id, ItemParams, PREFIX, TenantParams, tenantRoute, type SyncRouteKit } from './sync-route-kit.js';
import { SyncLogSchema, SyncSummarySchema } from './sync-schemas.js';
import { camelKeys } from './sync-wire.js';
import { keysetPage, keysetPaging, pageSchema, sendPage } from '../api/pagination.js';

const isoTime = z.string().datetime();
const LogQuery = z
  .object({
    repositoryId: id.optional().describe('One repository'),
    status: z.enum(['running', 'success', 'failed', 'skipped']).optional().describe('One status'),
    taskType: z.string().max(16).optional().describe('scheduled, manual, …'),
    workerId: z.string().max(100).optional().describe('One worker'),
    errorClass: z.string().max(32).optional().describe('auth, not_found, network, timeout, …'),
    since: isoTime.optional().describe('ISO time'),
    until: isoTime.optional().describe('ISO time'),
    // 200: the dashboard charts its last 200 runs in one request.
    ...keysetPaging({ defaultLimit: 50, maxLimit: 200 }),
  })
  .strict();
const SummaryQuery = z
  .object({
    repositoryId: id.optional().describe('One repository'),
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
        description: 'One page of the log, newest first (a keyset cursor: stable while runs are added)',
        schema: pageSchema(SyncLogSchema),
      },
    },
    handler: async (request, reply) => {
      const { tenant } = await tenantOf(request);
      const query = request.query;
      const rows = await service.listLogs(
        {
          tenantId: tenant,
          repositoryId: query.repositoryId,
          status: query.status,
          taskType: query.taskType,
          workerId: query.workerId,
          errorClass: query.errorClass,
          since: query.since,
          until: query.until,
        },
        // One more than the page: whether a next page exists.
        { limit: query.limit + 1, beforeId: query.cursor },
      );
      const page = keysetPage(rows, query.limit);
      return sendPage(request, reply, { ...page, items: page.items.map(logJson) });
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
      const summary = await service.summary(tenant, query.repositoryId, query.since);
      const finished = summary.success + summary.failed;
      return {
        total: summary.total,
        success: summary.success,
        failed: summary.failed,
        running: summary.running,
        successRate: finished === 0 ? null : summary.success / finished,
        averageDuration: summary.averageDurationMs === null ? null : summary.averageDurationMs / 1000,
        failureReasons: summary.failuresByClass,
        storageBytes: summary.storageBytes,
      };
    },
  });
}

/** A log row as the API answers it: camelCase keys, `duration` in seconds. */
export function logJson(row: SyncLogRow) {
  const { duration_ms, ...rest } = row;
  return { ...camelKeys(rest), duration: duration_ms === null ? null : duration_ms / 1000 };
}
