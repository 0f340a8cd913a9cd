import type { Permissions } from '../access/permissions.js';
import { forbidden, notFound } from '../platform/errors.js';
import type { PathReader } from '../repo/served-repository.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';

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
 * throw refuses the merge. The permission gate comes first; the approvals gate of the review work
 * (issue 22) goes after it.
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

/** The gates of every merge, in order. Issue 22 adds the approvals gate after the permission gate. */
export const DEFAULT_MERGE_GATES: readonly MergeGate[] = [PERMISSION_GATE];

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
