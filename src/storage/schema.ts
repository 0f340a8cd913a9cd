import type { Generated } from 'kysely';
import type { ObjectType } from '../git/object.js';

/**
 * Row types of the core tables created by `migrations/0001-core.ts`. Timestamps are ISO-8601 UTC
 * text (`2026-01-02T03:04:05.678Z`: sorts and compares as text on every database); git's own
 * times (author/commit time) are integer seconds. Booleans are 0/1 integers because the three
 * databases return booleans differently. Lists the seed typed `TEXT[]` are JSON text.
 */

export type RepositoryKind = 'hosted' | 'import' | 'directory';
/**
 * Where an object's bytes live: in the row, in `object_chunks` rows (large objects), or in a file
 * under the data dir (installations before migration 0007, moved to chunks at open).
 */
export type StorageType = 'database' | 'chunks' | 'file';

export interface RepositoriesTable {
  id: Generated<number>;
  path: string;
  kind: RepositoryKind;
  /** Target of the symbolic ref HEAD, e.g. `refs/heads/main`. */
  head_ref: string;
  object_format: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface RefsTable {
  id: Generated<number>;
  repo_id: number;
  ref_name: string;
  ref_git_id: string;
  created_at: string;
  updated_at: string;
}

export interface RawObjectsTable {
  id: Generated<number>;
  git_id: string;
  object_type: ObjectType;
  storage_type: StorageType;
  /** Inflated size of the whole object. */
  size: number;
  /** Set when `data` is a delta against this object (git's REF_DELTA base). */
  delta_base: string | null;
  delta_depth: number;
  /** Inflated size of the stored payload: the object body, or the delta. */
  payload_size: number;
  /** zlib-deflated payload, exactly as it goes into a pack entry; null when stored elsewhere. */
  data: Buffer | null;
  /** Legacy: file under `<dataDir>/objects/` holding the payload (`storage_type = 'file'`, until moved). */
  path: string | null;
}

export interface RepositoryObjectsTable {
  repo_id: number;
  git_id: string;
}

/**
 * The recorded result of one full-clone object walk of a repository: which objects the wanted ids
 * reach, in pack order (migration 0006). Objects are content-addressed, so a walk keyed by its
 * wanted ids and filter never goes stale; it is dropped with its repository or when newer walks
 * of the same repository push it out.
 */
export interface CloneWalksTable {
  id: Generated<number>;
  repo_id: number;
  /** sha256 hex of the walk's inputs (wanted ids and filter). */
  walk_key: string;
  object_count: number;
  created_at: string;
}

/** A walk's object list in pieces of at most 1 MiB: `[type code][raw id]` per object. */
export interface CloneWalkPartsTable {
  walk_id: number;
  seq: number;
  data: Buffer;
}

export interface CommitTable {
  id: Generated<number>;
  git_id: string;
  tree: string;
  /** JSON array of parent ids, in order. */
  pid: string;
  author: string | null;
  committer: string | null;
  content: string | null;
  author_time: number;
  commit_time: number;
  created_at: string;
  updated_at: string;
}

export interface MegaDirectoryTable {
  id: Generated<number>;
  full_path: string;
  tree_id: string;
  created_at: string;
  updated_at: string;
}

export interface DirCommitTable {
  id: Generated<number>;
  git_id: string;
  tree: string;
  pid: string;
  repo_path: string;
  author: string | null;
  committer: string | null;
  content: string | null;
}

export interface DirTreeTable {
  id: Generated<number>;
  git_id: string;
  last_commit: string;
  name: string | null;
  sub_trees: string | null;
  size: number;
  repo_path: string;
  full_path: string;
}

export interface MergeRequestTable {
  id: Generated<number>;
  mr_id: number;
  mr_msg: string;
  commit_id: string;
  mr_date: string;
  status: string;
  repo_path: string;
  source_commit: string | null;
  target_commit: string | null;
  author: string | null;
  created_at: string;
  updated_at: string;
}

export interface PullRequestTable {
  id: Generated<number>;
  number: number;
  title: string;
  state: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  merge_commit_sha: string | null;
  repo_path: string;
  repo_id: number;
  sender_name: string;
  sender_id: number;
  user_name: string;
  user_id: number;
  commits_url: string;
  patch_url: string;
  head_label: string;
  head_ref: string;
  base_label: string;
  base_ref: string;
  /** Added by 0015: text, page and head/base commits of the pull request; draft 0/1. */
  body: string | null;
  html_url: string | null;
  head_sha: string | null;
  base_sha: string | null;
  draft: number | null;
}

export interface IssueTable {
  id: Generated<number>;
  number: number;
  title: string;
  sender_name: string;
  sender_id: number;
  state: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  repo_path: string;
  repo_id: number;
  /** Added by 0015: the author (`sender_*` is who caused the last event), text and page. */
  user_name: string | null;
  user_id: number | null;
  body: string | null;
  html_url: string | null;
}

export interface LfsObjectsTable {
  oid: string;
  size: number | null;
  exist: number | null;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  is_admin: number;
  created_at: string;
}

export interface AccessTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** Hex sha256 of the token; the plaintext is shown once and never stored. */
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** Comma list of `read`, `write`, `admin` (`src/access/roles.ts`). */
  scopes: string;
}

/** The core tables, by name. */
/**
 * One piece of a large object's pack-ready zlib stream (`storage_type = 'chunks'`), in order of
 * `seq` from 0; content-addressed like `raw_objects` (see `object-chunks.ts`).
 */
export interface ObjectChunksTable {
  git_id: string;
  seq: number;
  data: Buffer;
}

export interface CoreTables {
  repositories: RepositoriesTable;
  refs: RefsTable;
  raw_objects: RawObjectsTable;
  repository_objects: RepositoryObjectsTable;
  clone_walks: CloneWalksTable;
  clone_walk_parts: CloneWalkPartsTable;
  object_chunks: ObjectChunksTable;
  commit: CommitTable;
  mega_directory: MegaDirectoryTable;
  dir_commit: DirCommitTable;
  dir_tree: DirTreeTable;
  merge_request: MergeRequestTable;
  pull_request: PullRequestTable;
  issue: IssueTable;
  lfs_objects: LfsObjectsTable;
  users: UsersTable;
  access_tokens: AccessTokensTable;
}
