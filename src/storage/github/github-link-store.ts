import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { insertReturningId, nowIso } from '../sync/insert-id.js';
import type { GithubLinksTable, GithubLinkSource } from './schema.js';

export type GithubLinkRow = Selectable<GithubLinksTable>;

export interface GithubLinkInput {
  readonly repoId: number;
  readonly repoPath: string;
  readonly apiUrl: string;
  readonly webUrl: string;
  readonly owner: string;
  readonly name: string;
  readonly credentialId: number | null;
  readonly source: GithubLinkSource;
  readonly syncRepositoryId: number | null;
}

export interface GithubLinkPatch {
  readonly credentialId?: number | null;
  readonly webhookSecretSealed?: string | null;
  readonly cursors?: string;
  readonly lastSyncedAt?: string | null;
  readonly lastError?: string | null;
}

export interface DeliveryClaim {
  readonly deliveryId: string;
  readonly event: string;
  readonly action: string | null;
  readonly repoId: number | null;
  readonly outcome: 'stored' | 'ignored';
}

/**
 * `github_links` (an /import repository ↔ a GitHub repository, the poll cursors) and
 * `github_deliveries` (each webhook delivery id, once). Owner and name are stored lowercased:
 * GitHub compares them without case, and webhooks must find the link however a user typed it.
 */
export class GithubLinkStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** Creates the link; a repository has at most one (`isUniqueViolation` on a second). */
  async create(input: GithubLinkInput): Promise<number> {
    const now = nowIso();
    return insertReturningId(
      this.db.insertInto('github_links').values({
        repo_id: input.repoId,
        repo_path: input.repoPath,
        api_url: input.apiUrl,
        web_url: input.webUrl,
        owner: input.owner.toLowerCase(),
        name: input.name.toLowerCase(),
        credential_id: input.credentialId,
        webhook_secret_sealed: null,
        source: input.source,
        sync_repository_id: input.syncRepositoryId,
        cursors: '{}',
        last_synced_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      }),
      this.capabilities,
    );
  }

  async update(id: number, patch: GithubLinkPatch): Promise<void> {
    await this.db
      .updateTable('github_links')
      .set({
        ...(patch.credentialId !== undefined ? { credential_id: patch.credentialId } : {}),
        ...(patch.webhookSecretSealed !== undefined
          ? { webhook_secret_sealed: patch.webhookSecretSealed }
          : {}),
        ...(patch.cursors !== undefined ? { cursors: patch.cursors } : {}),
        ...(patch.lastSyncedAt !== undefined ? { last_synced_at: patch.lastSyncedAt } : {}),
        ...(patch.lastError !== undefined ? { last_error: patch.lastError } : {}),
        updated_at: nowIso(),
      })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('github_links').where('id', '=', id).execute();
  }

  async byId(id: number): Promise<GithubLinkRow | undefined> {
    return this.db.selectFrom('github_links').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byRepository(repoId: number): Promise<GithubLinkRow | undefined> {
    return this.db.selectFrom('github_links').selectAll().where('repo_id', '=', repoId).executeTakeFirst();
  }

  async bySyncRepository(syncRepositoryId: number): Promise<GithubLinkRow | undefined> {
    return this.db
      .selectFrom('github_links')
      .selectAll()
      .where('sync_repository_id', '=', syncRepositoryId)
      .executeTakeFirst();
  }

  /** Every link to `owner/name` (on any host: the caller checks the host against the payload's). */
  async byFullName(owner: string, name: string): Promise<GithubLinkRow[]> {
    return this.db
      .selectFrom('github_links')
      .selectAll()
      .where('owner', '=', owner.toLowerCase())
      .where('name', '=', name.toLowerCase())
      .orderBy('id')
      .execute();
  }

  async list(): Promise<GithubLinkRow[]> {
    return this.db.selectFrom('github_links').selectAll().orderBy('repo_path').execute();
  }

  /**
   * Records a delivery id; false when it was recorded before. Run it in the transaction that
   * stores the delivery's rows: a failure rolls the claim back with them, so a redelivery is
   * processed, and a processed one never is again.
   */
  async claimDelivery(claim: DeliveryClaim): Promise<boolean> {
    const result = await insertIgnore(
      this.db.insertInto('github_deliveries').values({
        delivery_id: claim.deliveryId,
        event: claim.event,
        action: claim.action,
        repo_id: claim.repoId,
        outcome: claim.outcome,
        received_at: nowIso(),
      }),
      this.capabilities,
    ).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delivery(deliveryId: string): Promise<{ event: string; outcome: string } | undefined> {
    return this.db
      .selectFrom('github_deliveries')
      .select(['event', 'outcome'])
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
  }
}
