import { z } from 'zod';
import { components } from '../api/operation.js';

/**
 * The JSON the sync REST API answers (seed field names), for the OpenAPI document. Rows come
 * from the sync stores; nullable columns are `null` in the JSON, not absent.
 */
const at = z.string().describe('ISO time');

export const TenantSchema = z
  .object({ id: z.int(), name: z.string(), created_at: at })
  .register(components, { id: 'SyncTenant' });

export const CredentialSchema = z
  .object({
    id: z.int(),
    tenant_id: z.int(),
    name: z.string(),
    type: z.enum(['password', 'token', 'ssh_key']),
    username: z.string().nullable(),
    known_host: z.string().nullable(),
    created_at: at,
    updated_at: at,
  })
  .describe('A credential; its secret is write-only and never returned')
  .register(components, { id: 'SyncCredential' });

export const SyncRepositorySchema = z
  .object({
    id: z.int(),
    tenant_id: z.int(),
    name: z.string(),
    url: z.string(),
    branch: z.string(),
    branches: z.array(z.string()),
    is_public: z.boolean(),
    credential_id: z.int().nullable(),
    schedule: z.string().nullable(),
    depth: z.int().nullable(),
    filter: z.string().nullable(),
    lfs: z.boolean(),
    submodules: z.boolean(),
    strict_host_key: z.boolean(),
    mirror_to: z.string().nullable(),
    created_at: at,
    updated_at: at,
  })
  .register(components, { id: 'SyncRepository' });

export const SyncLogSchema = z
  .object({
    id: z.int(),
    tenant_id: z.int(),
    repository_id: z.int(),
    request_id: z.string().nullable(),
    worker_id: z.string(),
    task_type: z.string(),
    operator_id: z.int().nullable(),
    status: z.enum(['running', 'success', 'failed', 'skipped']),
    started_at: at,
    finished_at: at.nullable(),
    duration: z.number().nullable().describe('Seconds'),
    local_path: z.string().nullable(),
    command_output: z.string().nullable().describe('Redacted and truncated'),
    error_message: z.string().nullable(),
    error_class: z.string().nullable(),
    attempts: z.int(),
    from_commit: z.string().nullable(),
    to_commit: z.string().nullable(),
    bytes_on_disk: z.int().nullable(),
  })
  .register(components, { id: 'SyncLog' });

export const SyncSummarySchema = z
  .object({
    total: z.int(),
    success: z.int(),
    failed: z.int(),
    running: z.int(),
    success_rate: z.number().nullable(),
    average_duration: z.number().nullable().describe('Seconds'),
    failure_reasons: z.record(z.string(), z.int()),
    storage_bytes: z.int(),
  })
  .register(components, { id: 'SyncSummary' });

export const RequestIdSchema = z.object({ request_id: z.string().describe('Durable request id (UUID)') });
