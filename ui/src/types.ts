/** JSON shapes of the REST API (see /api/openapi.json). */
export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezone: string;
}

export interface Commit {
  id: string;
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  title: string;
  message: string;
}

export interface DiffLine {
  kind: 'context' | 'add' | 'delete';
  text: string;
  oldNumber?: number;
  newNumber?: number;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface FileDiff {
  path: string;
  status: 'added' | 'deleted' | 'modified' | 'type_changed';
  binary: boolean;
  additions: number;
  deletions: number;
  hunks: Hunk[];
  omitted?: string;
}

export interface Diff {
  files: FileDiff[];
  truncated: boolean;
}

export interface RuleView {
  allowed: boolean;
  mode?: string;
  explanation: string;
}

export interface DirectoryEntry {
  name: string;
  path: string;
  kind: 'directory' | 'repository' | 'file';
  id: string;
  repoPath?: string;
}

export interface DirectoryView {
  path: string;
  shape: 'root' | 'directory' | 'repository' | 'subdirectory' | 'absent';
  repoPath?: string;
  subdir?: string;
  entries?: DirectoryEntry[];
  clone: RuleView & { url: string };
  push: RuleView;
}

export interface TreeEntry {
  name: string;
  path: string;
  kind: 'tree' | 'blob' | 'symlink' | 'gitlink';
  mode: string;
  id: string;
}

export interface TreeListing {
  commit: string;
  path: string;
  entries: TreeEntry[];
}

export interface BlobView {
  commit: string;
  path: string;
  id: string;
  size: number;
  binary: boolean;
  truncated: boolean;
  content?: string;
}

export interface RefList {
  defaultBranch?: string;
  refs: Array<{ name: string; kind: string; shortName: string; target: string }>;
}

/** The signed-in user (`GET /api/v1/user`); `scopes` are the presented token's. */
export interface CurrentUser {
  id: number;
  username: string;
  isAdmin: boolean;
  scopes: string[];
}

export interface TokenInfo {
  id: number;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  scopes: string[];
}

/** A grant: exactly one of `user` and `group`. */
export interface Grant {
  path: string;
  user?: string;
  group?: string;
  role: string;
}

/** A path's own settings (null: inherited) and the effective ones. */
export interface PathSettings {
  path: string;
  visibility: string | null;
  selfMerge: boolean | null;
  effective: { visibility: string; selfMerge: boolean };
}

export interface Group {
  name: string;
  members: string[];
}
