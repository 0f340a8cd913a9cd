import { z } from 'zod';
import { components } from '../api/operation.js';

/**
 * The JSON the sync REST API answers, for the OpenAPI document: the sync stores' rows with their
 * keys camelCased (`sync-wire.ts`); nullable columns are `null` in the JSON, not absent.
 */
const at = z.string().describe('ISO time');

export const TenantSchema = z
  .object({ id: z.int(), name: z.string(), createdAt: at })
  .register(components, { id: 'SyncTenant' });

export const CredentialSchema = z
  .object({
    id: z.int(),
    tenantId: z.int(),
    name: z.string(),
    type: z.enum(['password', 'token', 'ssh_key']),
    username: z.string().nullable(),
    knownHost: z.string().nullable(),
    createdAt: at,
    updatedAt: at,
  })
  .describe('A credential; its secret is write-only and never returned')
  .register(components, { id: 'SyncCredential' });

export const SyncRepositorySchema = z
  .object({
    id: z.int(),
    tenantId: z.int(),
    name: z.string(),
    url: z.string(),
    branch: z.string(),
    branches: z.array(z.string()),
    isPublic: z.boolean(),
    credentialId: z.int().nullable(),
    schedule: z.string().nullable(),
    depth: z.int().nullable(),
    filter: z.string().nullable(),
    lfs: z.boolean(),
    submodules: z.boolean(),
    strictHostKey: z.boolean(),
    mirrorTo: z.string().nullable(),
    createdAt: at,
    updatedAt: at,
  })
  .register(components, { id: 'SyncRepository' });

export const SyncLogSchema = z
  .object({
    id: z.int(),
    tenantId: z.int(),
    repositoryId: z.int(),
    requestId: z.string().nullable(),
    workerId: z.string(),
    taskType: z.string(),
    operatorId: z.int().nullable(),
    status: z.enum(['running', 'success', 'failed', 'skipped']),
    startedAt: at,
    finishedAt: at.nullable(),
    duration: z.number().nullable().describe('Seconds'),
    localPath: z.string().nullable(),
    commandOutput: z.string().nullable().describe('Redacted and truncated'),
    errorMessage: z.string().nullable(),
    errorClass: z.string().nullable(),
    attempts: z.int(),
    fromCommit: z.string().nullable(),
    toCommit: z.string().nullable(),
    bytesOnDisk: z.int().nullable(),
  })
  .register(components, { id: 'SyncLog' });

export const SyncSummarySchema = z
  .object({
    total: z.int(),
    success: z.int(),
    failed: z.int(),
    running: z.int(),
    successRate: z.number().nullable(),
    averageDuration: z.number().nullable().describe('Seconds'),
    failureReasons: z.record(z.string(), z.int()),
    storageBytes: z.int(),
  })
  .register(components, { id: 'SyncSummary' });

export const RequestIdSchema = z.object({ requestId: z.string().describe('Durable request id (UUID)') });
