import type { Kysely } from 'kysely';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { insertIgnore } from '../insert-ignore.js';
import { nowTimestamp } from '../sql-batches.js';

export type SubjectKind = 'user' | 'group';

/** One grant as stored: roles and paths are validated by `src/access`, which owns their meaning. */
export interface StoredGrant {
  readonly id: number;
  readonly path: string;
  readonly subjectKind: SubjectKind;
  readonly subjectId: number;
  /** The user's or group's name. */
  readonly subjectName: string;
  readonly role: string;
  readonly createdAt: string;
}

export interface StoredPathSetting {
  readonly path: string;
  readonly visibility: string | null;
  readonly selfMerge: boolean | null;
}

export interface StoredGroup {
  readonly id: number;
  readonly name: string;
  readonly members: readonly string[];
}

export interface StoredProtectedBranch {
  readonly repoPath: string;
  readonly pattern: string;
}

/** The columns of a grant row (its subject's name is joined in by each query). */
const GRANT_COLUMNS = [
  'path_grants.id',
  'path_grants.path',
  'path_grants.subject_kind',
  'path_grants.subject_id',
  'path_grants.role',
  'path_grants.created_at',
] as const;

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Groups, grants on paths, path settings and protected-branch patterns (`0010-access`). Every
 * server reads them from the database on each request, so a change made through one server holds
 * on all of them at once.
 */
export class AccessStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async createGroup(name: string): Promise<StoredGroup> {
    if (!GROUP_NAME.test(name)) {
      throw invalid('invalid_group_name', 'group name must be 1-64 letters, digits, ".", "_" or "-"');
    }
    try {
      await this.db.insertInto('user_groups').values({ name, created_at: nowTimestamp() }).execute();
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) {
        throw conflict('group_exists', 'a group with this name exists', { group: name });
      }
      throw error;
    }
    return this.group(name);
  }

  /** The group and its members' names; `group_not_found` when there is none. */
  async group(name: string): Promise<StoredGroup> {
    const row = await this.db
      .selectFrom('user_groups')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw notFound('group_not_found', 'group not found', { group: name });
    const members = await this.db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .select('users.username')
      .where('group_members.group_id', '=', row.id)
      .orderBy('users.username')
      .execute();
    return { id: Number(row.id), name: row.name, members: members.map((member) => member.username) };
  }

  async listGroups(): Promise<StoredGroup[]> {
    const rows = await this.db.selectFrom('user_groups').select('name').orderBy('name').execute();
    return Promise.all(rows.map((row) => this.group(row.name)));
  }

  /** Deletes the group, its memberships and its grants. */
  async deleteGroup(name: string): Promise<void> {
    const group = await this.group(name);
    await this.db
      .deleteFrom('path_grants')
      .where('subject_kind', '=', 'group')
      .where('subject_id', '=', group.id)
      .execute();
    await this.db.deleteFrom('group_members').where('group_id', '=', group.id).execute();
    await this.db.deleteFrom('user_groups').where('id', '=', group.id).execute();
  }

  /** Adds a member; adding one twice is not an error. */
  async addMember(groupId: number, userId: number): Promise<void> {
    await insertIgnore(
      this.db.insertInto('group_members').values({ group_id: groupId, user_id: userId }),
      this.capabilities,
    ).execute();
  }

  async removeMember(groupId: number, userId: number): Promise<void> {
    await this.db
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
  }

  /** Gives `role` on `path` to the subject, replacing the role it had there. */
  async setGrant(path: string, subjectKind: SubjectKind, subjectId: number, role: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const updated = await this.db
        .updateTable('path_grants')
        .set({ role })
        .where('path', '=', path)
        .where('subject_kind', '=', subjectKind)
        .where('subject_id', '=', subjectId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      try {
        await this.db
          .insertInto('path_grants')
          .values({
            path,
            subject_kind: subjectKind,
            subject_id: subjectId,
            role,
            created_at: nowTimestamp(),
          })
          .execute();
        return;
      } catch (error) {
        // Another request inserted the same grant in between: update it instead.
        if (!this.capabilities.isUniqueViolation(error) || attempt > 0) throw error;
      }
    }
  }

  /** Removes the subject's grant on exactly `path`; `grant_not_found` when there is none. */
  async removeGrant(path: string, subjectKind: SubjectKind, subjectId: number): Promise<void> {
    const result = await this.db
      .deleteFrom('path_grants')
      .where('path', '=', path)
      .where('subject_kind', '=', subjectKind)
      .where('subject_id', '=', subjectId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) {
      throw notFound('grant_not_found', 'no such grant on this path', { path });
    }
  }

  /** Every grant, with the subjects' names, ordered by path. */
  async listGrants(): Promise<StoredGrant[]> {
    const users = await this.db
      .selectFrom('path_grants')
      .innerJoin('users', 'users.id', 'path_grants.subject_id')
      .select([...GRANT_COLUMNS, 'users.username as subject_name'])
      .where('path_grants.subject_kind', '=', 'user')
      .execute();
    const groups = await this.db
      .selectFrom('path_grants')
      .innerJoin('user_groups', 'user_groups.id', 'path_grants.subject_id')
      .select([...GRANT_COLUMNS, 'user_groups.name as subject_name'])
      .where('path_grants.subject_kind', '=', 'group')
      .execute();
    return [...users, ...groups]
      .map(toGrant)
      .sort((a, b) =>
        a.path === b.path ? a.subjectName.localeCompare(b.subjectName) : a.path < b.path ? -1 : 1,
      );
  }

  /** The grants that apply to one user: their own and their groups'. */
  async grantsOf(userId: number): Promise<StoredGrant[]> {
    const own = await this.db
      .selectFrom('path_grants')
      .selectAll()
      .where('subject_kind', '=', 'user')
      .where('subject_id', '=', userId)
      .execute();
    const viaGroups = await this.db
      .selectFrom('path_grants')
      .innerJoin('group_members', 'group_members.group_id', 'path_grants.subject_id')
      .innerJoin('user_groups', 'user_groups.id', 'path_grants.subject_id')
      .select([...GRANT_COLUMNS, 'user_groups.name as subject_name'])
      .where('path_grants.subject_kind', '=', 'group')
      .where('group_members.user_id', '=', userId)
      .execute();
    return [...own.map((row) => toGrant({ ...row, subject_name: '' })), ...viaGroups.map(toGrant)];
  }

  /** Every path setting (few: one per path an administrator configured). */
  async pathSettings(): Promise<StoredPathSetting[]> {
    const rows = await this.db.selectFrom('path_settings').selectAll().orderBy('path').execute();
    return rows.map((row) => ({
      path: row.path,
      visibility: row.visibility,
      selfMerge: row.self_merge === null ? null : Number(row.self_merge) === 1,
    }));
  }

  /**
   * Sets the given fields of a path's settings (null clears one: the path inherits again); a row
   * with nothing left is removed.
   */
  async setPathSetting(
    path: string,
    change: { readonly visibility?: string | null; readonly selfMerge?: boolean | null },
  ): Promise<StoredPathSetting> {
    const current = (await this.pathSettings()).find((setting) => setting.path === path);
    const next: StoredPathSetting = {
      path,
      visibility: change.visibility !== undefined ? change.visibility : (current?.visibility ?? null),
      selfMerge: change.selfMerge !== undefined ? change.selfMerge : (current?.selfMerge ?? null),
    };
    const values = {
      visibility: next.visibility,
      self_merge: next.selfMerge === null ? null : next.selfMerge ? 1 : 0,
      updated_at: nowTimestamp(),
    };
    if (next.visibility === null && next.selfMerge === null) {
      await this.db.deleteFrom('path_settings').where('path', '=', path).execute();
    } else if (current) {
      await this.db.updateTable('path_settings').set(values).where('path', '=', path).execute();
    } else {
      await this.db
        .insertInto('path_settings')
        .values({ path, ...values })
        .execute();
    }
    return next;
  }

  async protectedBranches(repoPath?: string): Promise<StoredProtectedBranch[]> {
    let query = this.db.selectFrom('protected_branches').select(['repo_path', 'pattern']);
    if (repoPath !== undefined) query = query.where('repo_path', '=', repoPath);
    const rows = await query.orderBy('repo_path').orderBy('pattern').execute();
    return rows.map((row) => ({ repoPath: row.repo_path, pattern: row.pattern }));
  }

  /** Adds a pattern; adding one twice is not an error. */
  async protectBranches(repoPath: string, pattern: string): Promise<void> {
    await insertIgnore(
      this.db
        .insertInto('protected_branches')
        .values({ repo_path: repoPath, pattern, created_at: nowTimestamp() }),
      this.capabilities,
    ).execute();
  }

  async unprotectBranches(repoPath: string, pattern: string): Promise<void> {
    const result = await this.db
      .deleteFrom('protected_branches')
      .where('repo_path', '=', repoPath)
      .where('pattern', '=', pattern)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) {
      throw notFound('protected_branch_not_found', 'no such protected-branch pattern', { repoPath, pattern });
    }
  }

  /** Removes a deleted repository's own grants, settings and patterns (not those of its parents). */
  async forgetPath(path: string): Promise<void> {
    await this.db.deleteFrom('path_grants').where('path', '=', path).execute();
    await this.db.deleteFrom('path_settings').where('path', '=', path).execute();
    await this.db.deleteFrom('protected_branches').where('repo_path', '=', path).execute();
  }
}

function toGrant(row: {
  id: number;
  path: string;
  subject_kind: string;
  subject_id: number;
  role: string;
  created_at: string;
  subject_name: string;
}): StoredGrant {
  return {
    id: Number(row.id),
    path: row.path,
    subjectKind: row.subject_kind === 'group' ? 'group' : 'user',
    subjectId: Number(row.subject_id),
    subjectName: row.subject_name,
    role: row.role,
    createdAt: row.created_at,
  };
}
