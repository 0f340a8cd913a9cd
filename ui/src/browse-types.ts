import type { Page } from './api';
/** JSON shapes of the code-reading routes (`src/web/api/browse-routes.ts`). */
import type { Commit, Person } from './types';

export interface CommitBrief {
  id: string;
  title: string;
  author: Person;
  committer: Person;
}

export interface Blame {
  commit: string;
  path: string;
  lines: number;
  ranges: Array<{ start: number; count: number; commit: string; sourceStart: number; bounded?: boolean }>;
  commits: Record<string, { id: string; title: string; author: Person }>;
  walked: number;
  truncated: boolean;
}

export interface BranchSummary {
  name: string;
  ref: string;
  isDefault: boolean;
  commit: CommitBrief;
  ahead?: number;
  behind?: number;
  exact?: boolean;
}

export interface BranchPage extends Page<BranchSummary> {
  defaultBranch: string | null;
}

export interface TagSummary {
  name: string;
  ref: string;
  target: string;
  annotated: boolean;
  commit?: CommitBrief;
  tagger?: Person;
  message?: string;
  date?: number;
}

export type TagPage = Page<TagSummary>;

export interface TreeInfo {
  commit: string;
  path: string;
  complete: boolean;
  walked: number;
  entries: Array<{ name: string; kind: string; size?: number; lastCommit?: CommitBrief }>;
}

export interface CompareCommits {
  base: string;
  head: string;
  mergeBase: string | null;
  truncated: boolean;
  commits: Commit[];
}
