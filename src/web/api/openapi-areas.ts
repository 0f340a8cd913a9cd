import { z } from 'zod';
import { CredentialInput, RepositoryInput, RepositoryPatch, TenantInput } from '../../sync/sync-inputs.js';
import {
  arrayOf,
  bool,
  int,
  object,
  operation,
  ref,
  str,
  type JsonSchema,
  type ParamSpec,
} from './openapi-builder.js';

/**
 * The routes other areas register (merge requests: `src/web/review`, sync: `src/web/sync`),
 * described here so one OpenAPI document covers the whole API. Request bodies of the sync API are
 * generated from its own zod schemas, so they cannot drift from what the server validates.
 */
function bodyOf(schema: z.ZodType): JsonSchema {
  const generated = { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } as Record<
    string,
    unknown
  >;
  // The document declares its own dialect; a per-schema `$schema` would be noise.
  delete generated.$schema;
  return generated;
}

const mrNumber: ParamSpec = { name: 'number', in: 'path', description: 'Merge request number', schema: int };
const tenant: ParamSpec = { name: 'tenant', in: 'path', description: 'Tenant id', schema: int };
const itemId: ParamSpec = { name: 'id', in: 'path', description: 'Id', schema: int };
const paging: ParamSpec[] = [
  { name: 'page', description: '1-based page', schema: { type: 'integer', minimum: 1 } },
  {
    name: 'per_page',
    description: 'Items per page (≤ 100)',
    schema: { type: 'integer', minimum: 1, maximum: 100 },
  },
];

export const AREA_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  MergeRequest: object({
    number: int,
    title: str,
    status: { type: 'string', enum: ['open', 'merging', 'merged', 'closed'] },
    viewPath: str,
    refName: str,
    pushedCommit: str,
    author: str,
    createdAt: str,
    updatedAt: str,
    changes: arrayOf(object({ repoPath: str, baseCommit: str, headCommit: str, mergedCommit: str })),
  }),
  MergeRequestDetail: {
    allOf: [
      ref('MergeRequest'),
      object({
        url: str,
        events: arrayOf(object({ action: str, actor: str, detail: str, at: str })),
        diffs: arrayOf(object({ repoPath: str, diff: ref('Diff') })),
      }),
    ],
  },
  SyncLog: object({
    id: int,
    tenant_id: int,
    repository_id: int,
    request_id: str,
    worker_id: str,
    task_type: str,
    operator_id: int,
    status: { type: 'string', enum: ['running', 'success', 'failed'] },
    started_at: str,
    finished_at: str,
    duration: { type: 'number', description: 'Seconds' },
    local_path: str,
    command_output: { ...str, description: 'Redacted and truncated' },
    error_message: str,
    error_class: str,
    attempts: int,
    from_commit: str,
    to_commit: str,
  }),
  SyncSummary: object({
    total: int,
    success: int,
    failed: int,
    running: int,
    success_rate: { type: ['number', 'null'] },
    average_duration: { type: ['number', 'null'], description: 'Seconds' },
    failure_reasons: { type: 'object', additionalProperties: int },
    storage_bytes: int,
  }),
};

const syncPrefix = '/api/v1/sync/tenants/{tenant}';

export const AREA_PATHS: Record<string, Record<string, JsonSchema>> = {
  '/api/v1/repos': {
    delete: operation({
      tag: 'repositories',
      summary: 'Delete a repository and remove its b-link in one directory commit (admin)',
      params: [{ name: 'repo', required: true, description: 'Repository path, e.g. /import/foo' }],
      auth: 'admin',
      response: object({ repo: str, deleted: bool, unlinked: bool }),
    }),
  },
  '/api/v1/repos/default-branch': {
    put: operation({
      tag: 'repositories',
      summary: "Change a repository's default branch (HEAD); the branch must exist (admin)",
      auth: 'admin',
      body: object({ repo: str, branch: str }, ['repo', 'branch']),
      response: object({ repo: str, default_branch: str }),
    }),
  },
  '/api/v1/merge-requests': {
    get: operation({
      tag: 'merge requests',
      summary: 'Merge requests, newest first',
      params: [
        { name: 'status', description: 'open, merging, merged or closed' },
        { name: 'path', description: 'Touching this repository or pushed to this path' },
        { name: 'author', description: 'Opened by this user' },
        ...paging,
      ],
      response: object({ items: arrayOf(ref('MergeRequest')), page: int, per_page: int }),
    }),
  },
  '/api/v1/merge-requests/{number}': {
    get: operation({
      tag: 'merge requests',
      summary: 'One merge request with per-file diffs for every repository it touches, and its history',
      params: [mrNumber],
      response: ref('MergeRequestDetail'),
    }),
  },
  ...Object.fromEntries(
    (['merge', 'close', 'reopen'] as const).map((action) => [
      `/api/v1/merge-requests/{number}/${action}`,
      {
        post: operation({
          tag: 'merge requests',
          summary:
            action === 'merge'
              ? 'Merge into every touched repository in one transaction (409 with the conflicting files)'
              : `${action[0]!.toUpperCase()}${action.slice(1)} the merge request`,
          params: [mrNumber],
          auth: 'user',
          response: { type: 'object' },
        }),
      },
    ]),
  ),
  '/api/v1/sync/tenants': {
    get: operation({
      tag: 'sync',
      summary: 'Tenants you can see',
      auth: 'user',
      response: object({ tenants: arrayOf(object({ id: int, name: str })) }),
    }),
    post: operation({
      tag: 'sync',
      summary: 'Create a tenant (admin)',
      auth: 'admin',
      body: bodyOf(TenantInput),
      response: object({ id: int, name: str }),
    }),
  },
  [`${syncPrefix}/credentials`]: {
    get: operation({
      tag: 'sync',
      summary: 'Credentials (secrets never returned)',
      params: [tenant],
      auth: 'user',
      response: { type: 'object' },
    }),
    post: operation({
      tag: 'sync',
      summary: 'Add a credential; the secret is write-only',
      params: [tenant],
      auth: 'user',
      body: bodyOf(CredentialInput),
      response: { type: 'object' },
    }),
  },
  [`${syncPrefix}/repositories`]: {
    get: operation({
      tag: 'sync',
      summary: 'Sync repositories',
      params: [tenant, { name: 'limit', description: '≤ 100' }, { name: 'offset', description: 'Skip' }],
      auth: 'user',
      response: { type: 'object' },
    }),
    post: operation({
      tag: 'sync',
      summary: 'Register a repository',
      params: [tenant],
      auth: 'user',
      body: bodyOf(RepositoryInput),
      response: { type: 'object' },
    }),
  },
  [`${syncPrefix}/repositories/{id}`]: {
    get: operation({
      tag: 'sync',
      summary: 'One sync repository',
      params: [tenant, itemId],
      auth: 'user',
      response: { type: 'object' },
    }),
    patch: operation({
      tag: 'sync',
      summary: 'Change a sync repository',
      params: [tenant, itemId],
      auth: 'user',
      body: bodyOf(RepositoryPatch),
      response: { type: 'object' },
    }),
    delete: operation({
      tag: 'sync',
      summary: 'Delete it and every worker copy (202 with the request id)',
      params: [tenant, itemId],
      auth: 'user',
      response: object({ request_id: str }),
    }),
  },
  [`${syncPrefix}/repositories/{id}/sync`]: {
    post: operation({
      tag: 'sync',
      summary: 'Trigger a manual sync (202 with the request id)',
      params: [tenant, itemId],
      auth: 'user',
      response: object({ request_id: str }),
    }),
  },
  [`${syncPrefix}/logs`]: {
    get: operation({
      tag: 'sync',
      summary: 'Sync log, newest first, filtered',
      params: [
        tenant,
        { name: 'repository_id', description: 'One repository', schema: int },
        { name: 'status', description: 'running, success or failed' },
        { name: 'task_type', description: 'scheduled, manual, …' },
        { name: 'worker_id', description: 'One worker' },
        { name: 'error_class', description: 'auth, not_found, network, timeout, …' },
        { name: 'since', description: 'ISO time' },
        { name: 'until', description: 'ISO time' },
        { name: 'limit', description: '≤ 200', schema: int },
        { name: 'before', description: 'Page: rows with a smaller id', schema: int },
      ],
      auth: 'user',
      response: object({ logs: arrayOf(ref('SyncLog')), next_before: { type: ['integer', 'null'] } }),
    }),
  },
  [`${syncPrefix}/summary`]: {
    get: operation({
      tag: 'sync',
      summary: 'Success rate, average duration, failure reasons, storage used',
      params: [
        tenant,
        { name: 'repository_id', description: 'One repository', schema: int },
        { name: 'since', description: 'ISO time' },
      ],
      auth: 'user',
      response: ref('SyncSummary'),
    }),
  },
};
