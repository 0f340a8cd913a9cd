/**
 * Which pushed branch becomes HEAD while HEAD names a branch that does not exist (a new
 * repository, or one whose default branch was deleted): `main`, else `master`, else the first
 * branch of the push — what Gitea and GitHub do, so that `git clone` of a `master`-only
 * project checks it out instead of warning "remote HEAD refers to nonexistent ref".
 */
const PREFERRED_DEFAULT_BRANCHES = ['refs/heads/main', 'refs/heads/master'] as const;

/** `branches` are full ref names in push order; undefined when none is a branch. */
export function chooseDefaultBranch(branches: readonly string[]): string | undefined {
  const candidates = branches.filter((name) => name.startsWith('refs/heads/'));
  return PREFERRED_DEFAULT_BRANCHES.find((name) => candidates.includes(name)) ?? candidates[0];
}
