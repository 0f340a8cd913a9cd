import type { Generated } from 'kysely';

/** Row types of the tables added by `migrations/0004-monorepo.ts` (see the reasons there). */
export interface MegaViewCommitTable {
  id: Generated<number>;
  view_key: string;
  view_path: string;
  commit_id: string;
  tree_id: string;
  /** '' for the first commit of a view path. */
  parent_id: string;
  directory_commit: string;
  /** JSON array of `{ at, repoPath, commit, subdir }`. */
  links: string;
  created_at: string;
  /** JSON array of the paths a filtered chain leaves out; null for the unfiltered chain (0011). */
  hidden: string | null;
}

export interface MergeRequestChangeTable {
  id: Generated<number>;
  mr_id: number;
  repo_path: string;
  base_commit: string;
  head_commit: string;
  merged_commit: string | null;
}

export interface MergeRequestEventTable {
  id: Generated<number>;
  mr_id: number;
  action: string;
  actor: string;
  detail: string | null;
  created_at: string;
}

/** Columns 0004 adds to the core `merge_request` table. */
export interface MergeRequestExtraColumns {
  ref_name: string | null;
  author_id: number | null;
}

export interface MonorepoTables {
  mega_view_commit: MegaViewCommitTable;
  merge_request_change: MergeRequestChangeTable;
  merge_request_event: MergeRequestEventTable;
  /** Intersected with the core row type: adds the 0004 columns. */
  merge_request: MergeRequestExtraColumns;
}
