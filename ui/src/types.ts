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

/** `GET /api/v1/repos/refs`: every ref, whole (the picker's list), and the default branch. */
export interface RefList {
  defaultBranch?: string;
  items: Array<{ name: string; kind: string; shortName: string; target: string }>;
}

/** The signed-in user (`GET /api/v1/user`); `scopes` are the presented token's. */
export interface CurrentUser {
  id: number;
  username: string;
  isAdmin: boolean;
  scopes: string[];
}

/** A user's SSH public key (`GET /api/v1/user/keys`). */
export interface SshKeyInfo {
  id: number;
  title: string;
  type: string;
  bits: number;
  fingerprint: string;
  publicKey: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A deploy key of a path (`GET /api/v1/deploy-keys?path=`): reads it, and with `write` pushes. */
export interface DeployKeyInfo extends SshKeyInfo {
  path: string;
  write: boolean;
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

/** `GET /api/v1/review-rules?path=`: a path's own values (null: inherited) and the effective ones. */
export interface ReviewRule {
  path: string;
  requiredApprovals: number | null;
  requiredChecks: string[] | null;
  effective: {
    requiredApprovals: number;
    approvalsFrom?: string;
    requiredChecks: string[];
    checksFrom?: string;
  };
}

export interface Group {
  name: string;
  members: string[];
}

/* Merge requests (`/api/v1/merge-requests…`). Shapes still moving with issue 22: `mr-api.ts`
   is the one place that reads them. */
export type MergeRequestStatus = 'open' | 'merging' | 'merged' | 'closed';

export interface MergeRequestChange {
  repoPath: string;
  baseCommit: string;
  headCommit: string;
  mergedCommit?: string;
}

export interface Mergeability {
  state: 'unknown' | 'clean' | 'conflict';
  conflicts: Array<{ repository: string; path: string }>;
  /** Target head per repository it was computed against. */
  targets: Record<string, string>;
  checkedAt?: string;
}

export interface MergeRequest {
  number: number;
  title: string;
  description?: string;
  targetBranch?: string;
  mergeability?: Mergeability;
  status: MergeRequestStatus;
  viewPath: string;
  refName?: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  changes: MergeRequestChange[];
}

export interface MergeRequestEvent {
  action: string;
  actor: string;
  detail?: string;
  at: string;
}

export interface MergeRequestDetail extends MergeRequest {
  url?: string;
  events?: MergeRequestEvent[];
  diffs?: Array<{ repoPath: string; diff: Diff }>;
}

/** Where a line comment points: a line of one side of one file of one repository's diff. */
export interface LinePosition {
  repoPath: string;
  path: string;
  side: 'old' | 'new';
  line: number;
  commitId?: string;
}

export interface DiscussionComment {
  id: number;
  threadId: number;
  body: string;
  deleted: boolean;
  edited: boolean;
  author: string;
  createdAt: string;
  updatedAt: string;
}

export interface DiscussionThread {
  id: number;
  /** Absent for a comment on the merge request as a whole. */
  position?: LinePosition;
  resolved: boolean;
  resolvedBy?: string;
  outdated: boolean;
  comments: DiscussionComment[];
}

export interface Discussion {
  threads: DiscussionThread[];
  unresolved: number;
}

export interface TimelineEntry {
  id?: number;
  action: string;
  actor: string;
  detail?: string;
  at: string;
  comment?: DiscussionComment;
}

/** One reason a merge cannot happen now (`GET …/merge-status`). */
export interface MergeBlocker {
  gate: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface ApprovalSummary {
  required: number;
  /** Whose approvals count (they approved the current push). */
  approvedBy: string[];
  /** Who approved an older push: shown, not counted, until they approve again. */
  stale: string[];
}

/** One CODEOWNERS rule whose owners must approve, and the changed paths it owns. */
export interface CodeOwnerRequirement {
  /** The pattern as written. */
  pattern: string;
  /** Where the rule is (`/projects/app:CODEOWNERS`, line). */
  source?: string;
  line?: number;
  optional: boolean;
  owners: string[];
  /** The changed files it owns (Mega paths). */
  paths: string[];
  approvedBy: string[];
  satisfied: boolean;
}

export interface CheckStatus {
  repoPath: string;
  commit?: string;
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error' | 'missing';
  targetUrl?: string;
  description?: string;
  required?: boolean;
}

export interface MergeStatus {
  canMerge: boolean;
  blockers: MergeBlocker[];
  approvals?: ApprovalSummary;
  codeOwners?: CodeOwnerRequirement[];
  checks?: CheckStatus[];
  /** CODEOWNERS files ignored, lines skipped, owners naming nobody. */
  warnings: string[];
}

/** A commit a merge request proposes (`GET …/commits`: the pushed commits, oldest first). */
export interface ProposedCommit {
  id: string;
  subject: string;
  message: string;
  author: { name: string; email: string; time: number };
  /** The repository, when the server says (a commit of a directory push has none). */
  repoPath?: string;
}

export interface ProposedCommits {
  commits: ProposedCommit[];
  /** More commits than listed: the newest are shown. */
  truncated: boolean;
}
