import { randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type {
  CredentialInfo,
  SyncConfigStore,
  SyncRepositoryRow,
  Tenant,
} from '../storage/sync/sync-config-store.js';
import type {
  SyncLogFilter,
  SyncLogRow,
  SyncRunStore,
  SyncSummaryRow,
} from '../storage/sync/sync-run-store.js';
import type { CredentialVault } from './credential-vault.js';
import { applyMirrorAccess, grantTenantMirrors, type RegistrationTransaction } from './mirror-access.js';
import { parseRemoteUrl } from './remote-url.js';
import type { SyncBus } from './sync-bus.js';
import type {
  CredentialInputT,
  CredentialPatchT,
  RepositoryInputT,
  RepositoryPatchT,
} from './sync-inputs.js';
import type { SyncMessage, TaskType } from './sync-message.js';

/**
 * What the REST API and the CLI do with sync data: one function per use case, tenant-scoped,
 * secrets accepted and sealed here but never returned. Triggering a sync records a durable
 * request first and then publishes it, so a worker that misses the broadcast still finds it.
 */
export interface SyncServiceDeps {
  readonly configStore: SyncConfigStore;
  /**
   * One transaction over the sync configuration and the access rules: a registration and its
   * mirror's visibility (`mirror-access.ts`) are stored together.
   */
  readonly transaction: RegistrationTransaction;
  readonly runStore: SyncRunStore;
  readonly vault: CredentialVault;
  readonly bus: SyncBus;
  readonly logger: Logger;
  /** file:// remotes are refused unless enabled (sync.allowFileUrls). */
  readonly allowFileUrls: boolean;
}

/** A repository as the API shows it. */
export interface SyncRepositoryView {
  readonly id: number;
  readonly tenant_id: number;
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly branches: readonly string[];
  readonly is_public: boolean;
  readonly credential_id: number | null;
  readonly schedule: string | null;
  readonly depth: number | null;
  readonly filter: string | null;
  readonly lfs: boolean;
  readonly submodules: boolean;
  readonly strict_host_key: boolean;
  readonly mirror_to: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export class SyncService {
  constructor(private readonly deps: SyncServiceDeps) {}

  async createTenant(name: string): Promise<Tenant> {
    try {
      const id = await this.deps.configStore.createTenant(name);
      return (await this.deps.configStore.findTenant(id)) as Tenant;
    } catch (error) {
      if (this.deps.configStore.isUniqueViolation(error))
        throw conflict('tenant_exists', 'a tenant with this name exists');
      throw error;
    }
  }

  async tenant(idOrName: number | string): Promise<Tenant> {
    const tenant = await this.deps.configStore.findTenant(idOrName);
    if (!tenant) throw notFound('tenant_not_found', 'no such tenant');
    return tenant;
  }

  listTenants(memberUserId?: number): Promise<Tenant[]> {
    return this.deps.configStore.listTenants(memberUserId);
  }

  /** Adds a member, who reads the tenant's private mirrors from then on (`mirror-access.ts`). */
  addTenantMember(tenantId: number, userId: number): Promise<void> {
    return this.deps.transaction(async (scope) => {
      await scope.config.addMember(tenantId, userId);
      await grantTenantMirrors(scope, tenantId, userId);
    });
  }

  isTenantMember(tenantId: number, userId: number): Promise<boolean> {
    return this.deps.configStore.isMember(tenantId, userId);
  }

  async addCredential(tenantId: number, input: CredentialInputT): Promise<CredentialInfo> {
    await this.tenant(tenantId);
    try {
      const id = await this.deps.configStore.createCredential(
        {
          tenant_id: tenantId,
          name: input.name,
          type: input.type,
          username: input.username,
          known_host: input.known_host,
        },
        (newId) => this.deps.vault.seal(newId, input.secret),
      );
      return this.credential(tenantId, id);
    } catch (error) {
      if (this.deps.configStore.isUniqueViolation(error))
        throw conflict('credential_exists', 'a credential with this name exists');
      throw error;
    }
  }

  async credential(tenantId: number, id: number): Promise<CredentialInfo> {
    const info = await this.deps.configStore.credentialInfo(tenantId, id);
    if (!info) throw notFound('credential_not_found', 'no such credential');
    return info;
  }

  listCredentials(tenantId: number): Promise<CredentialInfo[]> {
    return this.deps.configStore.listCredentials(tenantId);
  }

  async updateCredential(tenantId: number, id: number, patch: CredentialPatchT): Promise<CredentialInfo> {
    await this.credential(tenantId, id);
    await this.deps.configStore.updateCredential(tenantId, id, {
      ...(patch.username !== undefined ? { username: patch.username } : {}),
      ...(patch.known_host !== undefined ? { known_host: patch.known_host } : {}),
      ...(patch.secret !== undefined ? { secret_sealed: this.deps.vault.seal(id, patch.secret) } : {}),
    });
    return this.credential(tenantId, id);
  }

  async deleteCredential(tenantId: number, id: number): Promise<void> {
    await this.credential(tenantId, id);
    if (await this.deps.configStore.credentialInUse(id))
      throw conflict('credential_in_use', 'the credential is used by a repository');
    await this.deps.configStore.deleteCredential(tenantId, id);
  }

  async createRepository(tenantId: number, input: RepositoryInputT): Promise<SyncRepositoryView> {
    await this.tenant(tenantId);
    await this.checkCredential(tenantId, input.credential_id, input.url);
    try {
      const id = await this.deps.transaction(async (scope) => {
        const created = await scope.config.createRepository({
          tenant_id: tenantId,
          name: input.name,
          url: input.url,
          branch: input.branch,
          extra_branches: JSON.stringify(input.branches.filter((branch) => branch !== input.branch)),
          is_public: input.is_public ? 1 : 0,
          credential_id: input.credential_id,
          schedule: input.schedule,
          depth: input.depth,
          filter: input.filter,
          lfs: input.lfs ? 1 : 0,
          submodules: input.submodules ? 1 : 0,
          strict_host_key: input.strict_host_key ? 1 : 0,
          mirror_to: input.mirror_to,
        });
        await applyMirrorAccess(scope, await this.rowIn(scope.config, tenantId, created));
        return created;
      });
      return this.repository(tenantId, id);
    } catch (error) {
      if (this.deps.configStore.isUniqueViolation(error))
        throw conflict('repository_exists', 'a repository with this name exists');
      throw error;
    }
  }

  async repository(tenantId: number, id: number): Promise<SyncRepositoryView> {
    return viewOf(await this.repositoryRow(tenantId, id));
  }

  async listRepositories(
    tenantId: number,
    page: { limit: number; offset: number },
  ): Promise<SyncRepositoryView[]> {
    return (await this.deps.configStore.listRepositories(tenantId, page)).map(viewOf);
  }

  async updateRepository(tenantId: number, id: number, patch: RepositoryPatchT): Promise<SyncRepositoryView> {
    const current = await this.repositoryRow(tenantId, id);
    const url = patch.url ?? current.url;
    const credentialId = patch.credential_id !== undefined ? patch.credential_id : current.credential_id;
    await this.checkCredential(tenantId, credentialId, url);
    const bool = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);
    const branch = patch.branch ?? current.branch;
    await this.deps.transaction(async (scope) => {
      await scope.config.updateRepository(tenantId, id, {
        name: patch.name,
        url: patch.url,
        branch: patch.branch,
        extra_branches: patch.branches
          ? JSON.stringify(patch.branches.filter((b) => b !== branch))
          : undefined,
        is_public: bool(patch.is_public),
        credential_id: patch.credential_id,
        schedule: patch.schedule,
        depth: patch.depth,
        filter: patch.filter,
        lfs: bool(patch.lfs),
        submodules: bool(patch.submodules),
        strict_host_key: bool(patch.strict_host_key),
        mirror_to: patch.mirror_to,
      });
      await applyMirrorAccess(scope, await this.rowIn(scope.config, tenantId, id));
    });
    return this.repository(tenantId, id);
  }

  /** Deletes the registration and tells every worker to remove its copies (durably). */
  async deleteRepository(tenantId: number, id: number, operatorId: number | null): Promise<string> {
    const row = await this.repositoryRow(tenantId, id);
    await this.deps.configStore.deleteRepository(tenantId, id);
    return this.publish(row, 'delete', 'manual', operatorId);
  }

  /** Records and publishes a sync request; returns its request id. */
  async trigger(
    tenantId: number,
    id: number,
    options: { taskType: TaskType; operatorId: number | null },
  ): Promise<string> {
    const row = await this.repositoryRow(tenantId, id);
    return this.publish(row, 'sync', options.taskType, options.operatorId);
  }

  /** The tenant of a repository id (the CLI addresses repositories by id alone). */
  async tenantOfRepository(id: number): Promise<number> {
    const row = await this.deps.configStore.repository(id);
    if (!row) throw notFound('sync_repository_not_found', 'no such sync repository');
    return row.tenant_id;
  }

  async requestStatus(requestId: string): Promise<Array<{ worker_id: string; status: string }>> {
    return this.deps.runStore.resultsOf(requestId);
  }

  listLogs(filter: SyncLogFilter, page: { limit: number; beforeId?: number }): Promise<SyncLogRow[]> {
    return this.deps.runStore.listLogs(filter, page);
  }

  async log(tenantId: number, id: number): Promise<SyncLogRow> {
    const row = await this.deps.runStore.logById(tenantId, id);
    if (!row) throw notFound('sync_log_not_found', 'no such sync log');
    return row;
  }

  summary(tenantId: number, repositoryId?: number, since?: string): Promise<SyncSummaryRow> {
    return this.deps.runStore.summary(tenantId, repositoryId, since);
  }

  private repositoryRow(tenantId: number, id: number): Promise<SyncRepositoryRow> {
    return this.rowIn(this.deps.configStore, tenantId, id);
  }

  private async rowIn(store: SyncConfigStore, tenantId: number, id: number): Promise<SyncRepositoryRow> {
    const row = await store.repository(id, tenantId);
    if (!row) throw notFound('sync_repository_not_found', 'no such sync repository');
    return row;
  }

  private async checkCredential(tenantId: number, credentialId: number | null, url: string): Promise<void> {
    if (!this.deps.allowFileUrls && parseRemoteUrl(url).transport === 'file') {
      throw invalid(
        'remote_url_protocol',
        'file urls are disabled on this server (MEGA_SYNC_ALLOW_FILE_URLS)',
      );
    }
    if (credentialId === null) return;
    const credential = await this.deps.configStore.credentialInfo(tenantId, credentialId);
    if (!credential)
      throw invalid('credential_not_found', 'credential_id does not name a credential of this tenant');
    const isSsh = parseRemoteUrl(url).transport === 'ssh';
    if (isSsh !== (credential.type === 'ssh_key')) {
      throw invalid(
        'credential_transport_mismatch',
        'ssh urls need an ssh_key credential, https urls a password or token',
      );
    }
  }

  private async publish(
    row: SyncRepositoryRow,
    action: 'sync' | 'delete',
    taskType: TaskType,
    operatorId: number | null,
  ): Promise<string> {
    const message: SyncMessage = {
      action,
      request_id: randomUUID(),
      task_type: taskType,
      tenant_id: row.tenant_id,
      repository_id: row.id,
      repository: {
        id: row.id,
        name: row.name,
        url: row.url,
        branch: row.branch,
        is_public: row.is_public === 1,
        credential_id: row.credential_id,
      },
      operator_id: operatorId,
    };
    await this.deps.runStore.insertRequest({
      request_id: message.request_id,
      tenant_id: row.tenant_id,
      repository_id: row.id,
      action,
      task_type: taskType,
      operator_id: operatorId,
      message: JSON.stringify(message),
    });
    try {
      await this.deps.bus.publish(message);
    } catch (error) {
      // The request is stored: workers pick it up when they reconcile.
      this.deps.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'sync publish failed; workers will reconcile',
      );
    }
    return message.request_id;
  }
}

export function viewOf(row: SyncRepositoryRow): SyncRepositoryView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    url: row.url,
    branch: row.branch,
    branches: [row.branch, ...(JSON.parse(row.extra_branches) as string[])],
    is_public: row.is_public === 1,
    credential_id: row.credential_id,
    schedule: row.schedule,
    depth: row.depth,
    filter: row.filter,
    lfs: row.lfs === 1,
    submodules: row.submodules === 1,
    strict_host_key: row.strict_host_key === 1,
    mirror_to: row.mirror_to,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
