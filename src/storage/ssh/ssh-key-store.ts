import type { Kysely, Selectable } from 'kysely';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { nowTimestamp } from '../sql-batches.js';
import type { SshKeysTable } from './schema.js';

/** Who a key lets in: a user (as themselves), or a deploy key (one path, read or read-write). */
export type SshKeyOwner =
  | { readonly kind: 'user'; readonly userId: number }
  | { readonly kind: 'deploy'; readonly path: string; readonly write: boolean };

/** A stored public key, as listed (the key itself is public: listing it reveals nothing). */
export interface SshKeyInfo {
  readonly id: number;
  readonly title: string;
  readonly fingerprint: string;
  readonly type: string;
  readonly bits: number;
  /** The key blob, base64 (with `type`, the `.pub` line without its comment). */
  readonly publicKey: string;
  readonly owner: SshKeyOwner;
  readonly createdBy: number;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A key found by its fingerprint, with the user it acts as (the owner, or a deploy key's adder). */
export interface SshKeyMatch extends SshKeyInfo {
  readonly actsAs: { readonly id: number; readonly username: string; readonly isAdmin: boolean };
}

export interface NewSshKey {
  readonly fingerprint: string;
  readonly type: string;
  readonly publicKey: string;
  readonly bits: number;
  readonly title: string;
  readonly owner: SshKeyOwner;
  readonly createdBy: number;
}

const MAX_TITLE_LENGTH = 255;
/** Deploy key paths share the access tables' bound (`path_grants.path`). */
const MAX_DEPLOY_PATH_LENGTH = 512;
/** Recording every use would make each SSH connection a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Public keys of SSH clients (`ssh_keys`, migration 0014) and the server's stored host keys
 * (`ssh_host_keys`). Keys are parsed and checked by `src/ssh/public-key.ts` before they get
 * here; this store keeps them, unique by fingerprint across users and deploy keys.
 */
export class SshKeyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async add(key: NewSshKey): Promise<SshKeyInfo> {
    const title = key.title.trim();
    if (title.length === 0 || title.length > MAX_TITLE_LENGTH) {
      throw invalid('ssh_key_title_invalid', `the key title must be 1-${MAX_TITLE_LENGTH} characters`);
    }
    if (key.owner.kind === 'deploy' && key.owner.path.length > MAX_DEPLOY_PATH_LENGTH) {
      throw invalid('access_path_invalid', 'path is too long', { limit: MAX_DEPLOY_PATH_LENGTH });
    }
    try {
      await this.db
        .insertInto('ssh_keys')
        .values({
          fingerprint: key.fingerprint,
          key_type: key.type,
          public_key: key.publicKey,
          bits: key.bits,
          title,
          user_id: key.owner.kind === 'user' ? key.owner.userId : null,
          deploy_path: key.owner.kind === 'deploy' ? key.owner.path : null,
          deploy_write: key.owner.kind === 'deploy' && key.owner.write ? 1 : 0,
          created_by: key.createdBy,
          created_at: nowTimestamp(),
          last_used_at: null,
        })
        .execute();
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) {
        throw conflict(
          'ssh_key_exists',
          'this key is already in use (by you, another user or as a deploy key)',
          {
            fingerprint: key.fingerprint,
          },
        );
      }
      throw error;
    }
    const row = await this.db
      .selectFrom('ssh_keys')
      .selectAll()
      .where('fingerprint', '=', key.fingerprint)
      .executeTakeFirstOrThrow();
    return toInfo(row);
  }

  /** A user's own keys, oldest first. */
  async listForUser(userId: number): Promise<SshKeyInfo[]> {
    const rows = await this.db
      .selectFrom('ssh_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toInfo);
  }

  /** Deploy keys of one path, or of every path when none is given. */
  async listDeployKeys(path?: string): Promise<SshKeyInfo[]> {
    let query = this.db.selectFrom('ssh_keys').selectAll().where('deploy_path', 'is not', null);
    if (path !== undefined) query = query.where('deploy_path', '=', path);
    return (await query.orderBy('id').execute()).map(toInfo);
  }

  async findDeployKey(id: number): Promise<SshKeyInfo | undefined> {
    const row = await this.db
      .selectFrom('ssh_keys')
      .selectAll()
      .where('id', '=', id)
      .where('deploy_path', 'is not', null)
      .executeTakeFirst();
    return row ? toInfo(row) : undefined;
  }

  /** Removes one of a user's keys; `not_found` when it is not theirs. */
  async removeUserKey(userId: number, id: number): Promise<void> {
    const result = await this.db
      .deleteFrom('ssh_keys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('ssh_key_not_found', 'no such key');
  }

  /** Removes a deploy key; `not_found` when there is none with this id. */
  async removeDeployKey(id: number): Promise<void> {
    const result = await this.db
      .deleteFrom('ssh_keys')
      .where('id', '=', id)
      .where('deploy_path', 'is not', null)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('ssh_key_not_found', 'no such deploy key');
  }

  /**
   * The key with this fingerprint and the user it acts as, or undefined. A key whose user is gone
   * is gone with it (the foreign keys cascade), so a deleted user's key matches nothing.
   */
  async findByFingerprint(fingerprint: string): Promise<SshKeyMatch | undefined> {
    const row = await this.db
      .selectFrom('ssh_keys')
      .innerJoin('users', (join) =>
        join.on((eb) =>
          eb.or([
            eb.and([eb('ssh_keys.user_id', 'is not', null), eb('users.id', '=', eb.ref('ssh_keys.user_id'))]),
            eb.and([eb('ssh_keys.user_id', 'is', null), eb('users.id', '=', eb.ref('ssh_keys.created_by'))]),
          ]),
        ),
      )
      .selectAll('ssh_keys')
      .select(['users.username', 'users.is_admin', 'users.id as acting_id'])
      .where('ssh_keys.fingerprint', '=', fingerprint)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...toInfo(row),
      actsAs: { id: Number(row.acting_id), username: row.username, isAdmin: Number(row.is_admin) === 1 },
    };
  }

  /** Records that a key was used (at most once a minute per key). */
  async touch(info: Pick<SshKeyInfo, 'id' | 'lastUsedAt'>, now: Date = new Date()): Promise<void> {
    const last = info.lastUsedAt === null ? 0 : Date.parse(info.lastUsedAt);
    if (now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    await this.db
      .updateTable('ssh_keys')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', info.id)
      .execute();
  }

  /**
   * The stored host key of `algorithm`; `proposed` (sealed by the caller) is stored first when
   * there is none. Concurrent first starts agree on one: the primary key keeps the first insert.
   */
  async claimHostKey(algorithm: string, proposed: () => string): Promise<string> {
    const existing = await this.hostKey(algorithm);
    if (existing !== undefined) return existing;
    await insertIgnore(
      this.db
        .insertInto('ssh_host_keys')
        .values({ algorithm, sealed_key: proposed(), created_at: nowTimestamp() }),
      this.capabilities,
    ).execute();
    const stored = await this.hostKey(algorithm);
    if (stored === undefined) throw notFound('ssh_key_not_found', 'host key vanished after it was stored');
    return stored;
  }

  private async hostKey(algorithm: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('ssh_host_keys')
      .select('sealed_key')
      .where('algorithm', '=', algorithm)
      .executeTakeFirst();
    return row?.sealed_key;
  }
}

function toInfo(row: Selectable<SshKeysTable>): SshKeyInfo {
  return {
    id: Number(row.id),
    title: row.title,
    fingerprint: row.fingerprint,
    type: row.key_type,
    bits: Number(row.bits),
    publicKey: row.public_key,
    owner:
      row.deploy_path !== null
        ? { kind: 'deploy', path: row.deploy_path, write: Number(row.deploy_write) === 1 }
        : { kind: 'user', userId: Number(row.user_id) },
    createdBy: Number(row.created_by),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
