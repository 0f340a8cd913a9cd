import type { Generated } from 'kysely';

/** Row types of the tables created by `migrations/0002-sync.ts`. */
export type CredentialType = 'password' | 'token' | 'ssh_key';
export type SyncAction = 'sync' | 'delete';
export type SyncStatus = 'running' | 'success' | 'failed';
/** A run's status, or `skipped`: a message for a repository this installation does not know. */
export type SyncLogStatus = SyncStatus | 'skipped';

export interface TenantsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface TenantMembersTable {
  tenant_id: number;
  user_id: number;
  created_at: string;
}

export interface SyncCredentialsTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  type: CredentialType;
  username: string | null;
  /** AES-256-GCM output (`v2.<iv>.<tag>.<body>`; `v1.` before key derivation), never plaintext. */
  secret_sealed: string;
  known_host: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncRepositoriesTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  url: string;
  branch: string;
  /** JSON array of further branches kept in sync besides `branch`. */
  extra_branches: string;
  is_public: number;
  credential_id: number | null;
  schedule: string | null;
  depth: number | null;
  filter: string | null;
  lfs: number;
  submodules: number;
  strict_host_key: number;
  mirror_to: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncRequestsTable {
  id: Generated<number>;
  request_id: string;
  tenant_id: number;
  repository_id: number;
  action: SyncAction;
  task_type: string;
  operator_id: number | null;
  /** The published message as JSON (a delete must be replayable after the repository row is gone). */
  message: string;
  created_at: string;
}

export interface SyncRequestResultsTable {
  request_id: string;
  worker_id: string;
  status: SyncLogStatus;
  finished_at: string;
}

export interface GitSyncLogTable {
  id: Generated<number>;
  tenant_id: number;
  repository_id: number;
  request_id: string | null;
  worker_id: string;
  task_type: string;
  operator_id: number | null;
  /** With `skipped`, the reason is in error_message. */
  status: SyncLogStatus;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  local_path: string | null;
  command_output: string | null;
  error_message: string | null;
  error_class: string | null;
  attempts: number;
  from_commit: string | null;
  to_commit: string | null;
  bytes_on_disk: number | null;
}

export interface SyncWorkersTable {
  worker_id: string;
  hostname: string;
  started_at: string;
  last_seen_at: string;
}

export interface SyncLocksTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface SyncTables {
  tenants: TenantsTable;
  tenant_members: TenantMembersTable;
  sync_credentials: SyncCredentialsTable;
  sync_repositories: SyncRepositoriesTable;
  sync_requests: SyncRequestsTable;
  sync_request_results: SyncRequestResultsTable;
  git_sync_log: GitSyncLogTable;
  sync_workers: SyncWorkersTable;
  sync_locks: SyncLocksTable;
}
