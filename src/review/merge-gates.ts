import type { Permissions } from '../access/permissions.js';
import { conflict, forbidden, notFound } from '../platform/errors.js';
import type { PathReader } from '../repo/served-repository.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import type { ReviewState } from './review-state.js';

/**
 * The authority of an operator's command on the server (`mega mr merge` without `--as`): whoever
 * can run it already holds the data directory, so permission gates do not apply to them.
 */
export const OPERATOR = 'operator' as const;

/** Who acts on a merge request (recorded with every event) and what they may do. */
export interface Actor {
  readonly username: string;
  /** The acting user's id: self-merge is judged by it (and by name for requests without one). */
  readonly userId?: number;
  /** The actor's permissions (`request.permissions()`), or `OPERATOR` for a server command. */
  readonly authority: Permissions | typeof OPERATOR;
}

/**
 * One condition a merge must pass. Gates run in order before anything is planned; the first to
 * throw refuses the merge. The permission gate comes first, then mergeability, approvals, code
 * owners and checks (`Approvals.gates()`); `Approvals.mergeStatus` runs them all to list every
 * reason at once.
 */
export interface MergeGate {
  readonly name: string;
  check(request: MergeRequestRecord, actor: Actor): Promise<void> | void;
}

/** The repositories a merge request changes: where merging moves a branch. */
export function touchedPaths(request: MergeRequestRecord): string[] {
  return [...new Set(request.changes.map((change) => change.repoPath))].sort();
}

/**
 * Whether `reader` may see the merge request: every path it touches, and the path it was pushed
 * to, must be readable (a diff shows the content of each of them).
 */
export function canSeeMergeRequest(reader: PathReader, request: MergeRequestRecord): boolean {
  return reader.canRead(request.viewPath) && touchedPaths(request).every((path) => reader.canRead(path));
}

/** The merge request as `reader` may know it: unreadable ones are as absent as missing ones. */
export function requireVisible(reader: PathReader, request: MergeRequestRecord): void {
  if (!canSeeMergeRequest(reader, request)) {
    throw notFound('merge_request_not_found', `no merge request !${request.number}`);
  }
}

export function isAuthor(request: MergeRequestRecord, actor: Actor): boolean {
  if (request.authorId !== undefined && actor.userId !== undefined) return request.authorId === actor.userId;
  return request.author === actor.username;
}

/**
 * Merging needs `maintain` on every touched path; an author merging their own request also needs
 * self-merge allowed on each of them (off by default, administrators included: the setting is how
 * a team opts in). Refusals name the first path that fails.
 */
export const PERMISSION_GATE: MergeGate = {
  name: 'permissions',
  check(request, actor) {
    const rights = actor.authority;
    if (rights === OPERATOR) return;
    requireVisible(rights, request);
    const own = isAuthor(request, actor);
    for (const path of touchedPaths(request)) {
      if (!rights.has(path, 'maintain')) {
        throw forbidden('merge_forbidden', `merging needs the maintain role on ${path}`, { path });
      }
      if (own && !rights.selfMergeAllowed(path)) {
        throw forbidden(
          'self_merge_not_allowed',
          `authors may not merge their own merge requests under ${path}`,
          { path },
        );
      }
    }
  },
};

/**
 * A request whose stored mergeability is `conflict` is refused before anything is planned;
 * `unknown` (not computed yet, or a target moved since) lets the merge compute it.
 */
export const MERGEABILITY_GATE: MergeGate = {
  name: 'mergeability',
  check(request) {
    if (request.mergeability.state !== 'conflict') return;
    throw conflict('merge_conflict', `merge request !${request.number} conflicts with its target`, {
      files: request.mergeability.conflicts,
    });
  },
};

/** Most paths named in one refusal's details (the merge status lists them all). */
const MAX_PATHS_IN_DETAILS = 20;

/**
 * The review gates, after the permission and mergeability gates: required approvals, code
 * owners, required checks. They read one `ReviewState` (`Approvals.stateOf`). They apply to the
 * operator too: `OPERATOR` bypasses permissions only (as GitLab administrators do not bypass
 * approvals); a team that wants to merge anyway lowers the rule.
 */
export function reviewGates(stateOf: (request: MergeRequestRecord) => Promise<ReviewState>): MergeGate[] {
  return [
    {
      name: 'approvals',
      async check(request) {
        const { approvals } = await stateOf(request);
        if (approvals.given.length >= approvals.required) return;
        throw conflict(
          'approvals_required',
          `merge request !${request.number} needs ${approvals.required} approvals, has ${approvals.given.length}`,
          { required: approvals.required, given: approvals.given, stale: approvals.stale },
        );
      },
    },
    {
      name: 'code_owners',
      async check(request) {
        const missing = (await stateOf(request)).codeOwners.filter(
          (rule) => !rule.optional && !rule.satisfied,
        );
        if (missing.length === 0) return;
        throw conflict(
          'code_owner_approval_required',
          `merge request !${request.number} needs an approval from the code owners of ${missing.length === 1 ? missing[0]!.paths[0] : `${missing.length} rules`}`,
          {
            missing: missing.map((rule) => ({
              source: rule.source,
              section: rule.section,
              pattern: rule.pattern,
              owners: rule.owners,
              paths: rule.paths.slice(0, MAX_PATHS_IN_DETAILS),
              morePaths: Math.max(0, rule.paths.length - MAX_PATHS_IN_DETAILS),
            })),
          },
        );
      },
    },
    {
      name: 'checks',
      async check(request) {
        const unmet = (await stateOf(request)).checks.filter(
          (check) => check.required && check.state !== 'success',
        );
        if (unmet.length === 0) return;
        const repositories = [...new Set(unmet.map((check) => check.repoPath))].map((repoPath) => {
          const of = unmet.filter((check) => check.repoPath === repoPath);
          return {
            repoPath,
            commit: of[0]!.commit,
            missing: of.filter((check) => check.state === 'missing').map((check) => check.context),
            failing: of
              .filter((check) => check.state !== 'missing')
              .map((check) => ({ context: check.context, state: check.state })),
          };
        });
        throw conflict(
          'checks_required',
          `merge request !${request.number} needs successful checks: ${unmet.map((check) => check.context).join(', ')}`,
          { repositories },
        );
      },
    },
  ];
}

/**
 * The gates a merge runs without review state (tests, and deps that pass `gates`); a merge of
 * `MergeRequests` runs `Approvals.gates()`: these and the review gates.
 */
export const DEFAULT_MERGE_GATES: readonly MergeGate[] = [PERMISSION_GATE, MERGEABILITY_GATE];

/**
 * Closing and reopening need `maintain` on every touched path, except for the author, who may
 * close and reopen their own merge request.
 */
export function requireStateChange(request: MergeRequestRecord, actor: Actor, action: string): void {
  const rights = actor.authority;
  if (rights === OPERATOR) return;
  requireVisible(rights, request);
  if (isAuthor(request, actor)) return;
  for (const path of touchedPaths(request)) rights.require(path, 'maintain', action);
}
