import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';

/**
 * The branch a merge request merges into in a repository: the one named at push time
 * (`-o mr.target=…`), else the repository's default branch, which is the branch its view shows
 * and the proposal was made on.
 */
export function targetRefOf(record: MergeRequestRecord, repository: { readonly headRef: string }): string {
  return record.targetBranch ? `refs/heads/${record.targetBranch}` : repository.headRef;
}
