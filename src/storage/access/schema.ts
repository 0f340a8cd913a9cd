import type { Generated } from 'kysely';

/** Tables of `0010-access` (see that migration for what each holds). */
export interface UserGroupsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface GroupMembersTable {
  group_id: number;
  user_id: number;
}

export interface PathGrantsTable {
  id: Generated<number>;
  path: string;
  /** `user` or `group`. */
  subject_kind: string;
  subject_id: number;
  role: string;
  created_at: string;
}

export interface PathSettingsTable {
  path: string;
  visibility: string | null;
  /** 0/1, or null to inherit. */
  self_merge: number | null;
  updated_at: string;
}

export interface ProtectedBranchesTable {
  id: Generated<number>;
  repo_path: string;
  pattern: string;
  created_at: string;
}

export interface AccessTables {
  user_groups: UserGroupsTable;
  group_members: GroupMembersTable;
  path_grants: PathGrantsTable;
  path_settings: PathSettingsTable;
  protected_branches: ProtectedBranchesTable;
}
