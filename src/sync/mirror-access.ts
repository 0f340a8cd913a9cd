import type { AccessStore } from '../storage/access/access-store.js';
import type { SyncConfigStore, SyncRepositoryRow } from '../storage/sync/sync-config-store.js';

/** The access rules a registration sets on its mirror path. */
export type MirrorRules = Pick<AccessStore, 'setPathSetting' | 'setGrant' | 'grantsOf'>;

/** The stores a registration changes together, bound to one transaction. */
export interface RegistrationScope {
  readonly config: SyncConfigStore;
  readonly access: MirrorRules;
}

/** Runs `work` in one transaction (storage's `transaction` in production). */
export type RegistrationTransaction = <T>(work: (scope: RegistrationScope) => Promise<T>) => Promise<T>;

/** Repositories read per query when a new member is given their tenant's private mirrors. */
const REPOSITORY_BATCH = 500;

/**
 * A mirror (`mirror_to`) takes its sync repository's visibility (issue 16): `public` for
 * `is_public`, else `private`, set on the mirror path in the transaction that stores the
 * registration, so the mirror is never readable anonymously, not even after its first sync.
 * The tenant's members read their private mirrors: each gets `read` on the path (a member who
 * already holds a grant of their own there keeps it). A path a registration stops naming keeps
 * its settings: its content is still what the private repository held.
 */
export async function applyMirrorAccess(scope: RegistrationScope, row: SyncRepositoryRow): Promise<void> {
  const path = row.mirror_to;
  if (!path) return;
  const isPublic = row.is_public === 1;
  await scope.access.setPathSetting(path, { visibility: isPublic ? 'public' : 'private' });
  if (isPublic) return;
  for (const userId of await scope.config.memberIds(row.tenant_id)) {
    await grantRead(scope.access, path, userId);
  }
}

/** A member joining a tenant reads its private mirrors like the members before them. */
export async function grantTenantMirrors(
  scope: RegistrationScope,
  tenantId: number,
  userId: number,
): Promise<void> {
  for (let offset = 0; ; offset += REPOSITORY_BATCH) {
    const rows = await scope.config.listRepositories(tenantId, { limit: REPOSITORY_BATCH, offset });
    for (const row of rows) {
      if (row.mirror_to && row.is_public !== 1) await grantRead(scope.access, row.mirror_to, userId);
    }
    if (rows.length < REPOSITORY_BATCH) return;
  }
}

async function grantRead(access: MirrorRules, path: string, userId: number): Promise<void> {
  const own = await access.grantsOf(userId);
  if (own.some((grant) => grant.subjectKind === 'user' && grant.path === path)) return;
  await access.setGrant(path, 'user', userId, 'read');
}
