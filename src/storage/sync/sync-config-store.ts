import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { inTransaction } from '../transaction.js';
import { insertReturningId, nowIso } from './insert-id.js';
import type { CredentialType, SyncCredentialsTable, SyncRepositoriesTable, TenantsTable } from './schema.js';

export type Tenant = Selectable<TenantsTable>;
export type CredentialRow = Selectable<SyncCredentialsTable>;
/** A credential as it may be shown: everything but the sealed secret. */
export type CredentialInfo = Omit<CredentialRow, 'secret_sealed'>;
export type SyncRepositoryRow = Selectable<SyncRepositoriesTable>;
export type NewSyncRepository = Omit<SyncRepositoryRow, 'id' | 'created_at' | 'updated_at'>;
export type SyncRepositoryPatch = Partial<Omit<NewSyncRepository, 'tenant_id'>>;

const CREDENTIAL_INFO_COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'type',
  'username',
  'known_host',
  'created_at',
  'updated_at',
] as const;

/** Tenants, their members, credentials and registered repositories. */
export class SyncConfigStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async createTenant(name: string): Promise<number> {
    return insertReturningId(
      this.db.insertInto('tenants').values({ name, created_at: nowIso() }),
      this.capabilities,
    );
  }

  async findTenant(idOrName: number | string): Promise<Tenant | undefined> {
    const query = this.db.selectFrom('tenants').selectAll();
    return typeof idOrName === 'number'
      ? query.where('id', '=', idOrName).executeTakeFirst()
      : query.where('name', '=', idOrName).executeTakeFirst();
  }

  /** Every tenant, or those the user is a member of. */
  async listTenants(memberUserId?: number): Promise<Tenant[]> {
    let query = this.db.selectFrom('tenants').selectAll('tenants').orderBy('tenants.id');
    if (memberUserId !== undefined) {
      query = query
        .innerJoin('tenant_members', 'tenant_members.tenant_id', 'tenants.id')
        .where('tenant_members.user_id', '=', memberUserId);
    }
    return query.execute();
  }

  async addMember(tenantId: number, userId: number): Promise<void> {
    await this.db
      .insertInto('tenant_members')
      .values({ tenant_id: tenantId, user_id: userId, created_at: nowIso() })
      .execute();
  }

  /** The user ids of a tenant's members. */
  async memberIds(tenantId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('tenant_members')
      .select('user_id')
      .where('tenant_id', '=', tenantId)
      .orderBy('user_id')
      .execute();
    return rows.map((row) => row.user_id);
  }

  async isMember(tenantId: number, userId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('tenant_members')
      .select('user_id')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Inserts a credential whose secret is sealed by `seal(id)` — the id is the associated data of
   * the encryption, so it is known only after the insert; both happen in one transaction.
   */
  async createCredential(
    row: {
      tenant_id: number;
      name: string;
      type: CredentialType;
      username: string | null;
      known_host: string | null;
    },
    seal: (id: number) => string,
  ): Promise<number> {
    return inTransaction(this.db, async (trx) => {
      const now = nowIso();
      const insert = trx
        .insertInto('sync_credentials')
        .values({ ...row, secret_sealed: '', created_at: now, updated_at: now });
      const id = await insertReturningId(insert, this.capabilities);
      await trx
        .updateTable('sync_credentials')
        .set({ secret_sealed: seal(id) })
        .where('id', '=', id)
        .execute();
      return id;
    });
  }

  async updateCredential(
    tenantId: number,
    id: number,
    patch: { username?: string | null; known_host?: string | null; secret_sealed?: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_credentials')
      .set({ ...patch, updated_at: nowIso() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The full row including the sealed secret: for workers only. */
  async credentialWithSecret(id: number): Promise<CredentialRow | undefined> {
    return this.db.selectFrom('sync_credentials').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Credentials whose sealed secret begins with `prefix` (a format version): for re-sealing. */
  async credentialsSealedAs(prefix: string): Promise<Array<Pick<CredentialRow, 'id' | 'secret_sealed'>>> {
    return this.db
      .selectFrom('sync_credentials')
      .select(['id', 'secret_sealed'])
      .where('secret_sealed', 'like', `${prefix}%`)
      .orderBy('id')
      .execute();
  }

  /** Replaces a sealed secret if it is still `previous`; false when another process changed it. */
  async replaceSealedSecret(id: number, previous: string, next: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_credentials')
      .set({ secret_sealed: next, updated_at: nowIso() })
      .where('id', '=', id)
      .where('secret_sealed', '=', previous)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async credentialInfo(tenantId: number, id: number): Promise<CredentialInfo | undefined> {
    return this.db
      .selectFrom('sync_credentials')
      .select(CREDENTIAL_INFO_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async listCredentials(tenantId: number): Promise<CredentialInfo[]> {
    return this.db
      .selectFrom('sync_credentials')
      .select(CREDENTIAL_INFO_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
  }

  async credentialInUse(id: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('sync_repositories')
      .select('id')
      .where('credential_id', '=', id)
      .executeTakeFirst();
    if (row !== undefined) return true;
    // A GitHub link's API token is a sync credential too (migration 0015).
    const link = await this.db
      .selectFrom('github_links')
      .select('id')
      .where('credential_id', '=', id)
      .executeTakeFirst();
    return link !== undefined;
  }

  async deleteCredential(tenantId: number, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sync_credentials')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async createRepository(row: NewSyncRepository): Promise<number> {
    const now = nowIso();
    return insertReturningId(
      this.db.insertInto('sync_repositories').values({ ...row, created_at: now, updated_at: now }),
      this.capabilities,
    );
  }

  async repository(id: number, tenantId?: number): Promise<SyncRepositoryRow | undefined> {
    let query = this.db.selectFrom('sync_repositories').selectAll().where('id', '=', id);
    if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
    return query.executeTakeFirst();
  }

  async listRepositories(
    tenantId: number,
    page: { limit: number; offset: number },
  ): Promise<SyncRepositoryRow[]> {
    return this.db
      .selectFrom('sync_repositories')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
  }

  /** Every repository with a schedule, across tenants (the scheduler's view). */
  async scheduledRepositories(): Promise<SyncRepositoryRow[]> {
    return this.db
      .selectFrom('sync_repositories')
      .selectAll()
      .where('schedule', 'is not', null)
      .orderBy('id')
      .execute();
  }

  /** Every repository mirrored into an /import path, across tenants (GitHub's automatic links). */
  async mirroredRepositories(): Promise<SyncRepositoryRow[]> {
    return this.db
      .selectFrom('sync_repositories')
      .selectAll()
      .where('mirror_to', 'is not', null)
      .orderBy('id')
      .execute();
  }

  async updateRepository(tenantId: number, id: number, patch: SyncRepositoryPatch): Promise<boolean> {
    const set: Updateable<SyncRepositoriesTable> = { ...patch, updated_at: nowIso() };
    const result = await this.db
      .updateTable('sync_repositories')
      .set(set)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteRepository(tenantId: number, id: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sync_repositories')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  isUniqueViolation(error: unknown): boolean {
    return this.capabilities.isUniqueViolation(error);
  }
}
