import type { Permissions } from '../access/permissions.js';
import { SHA1, SHA256 } from '../git/object-format.js';
import { isObjectId, type ObjectId } from '../git/object-id.js';
import { invalid, notFound } from '../platform/errors.js';
import { storedId } from '../storage/stored-id.js';
import type { CommitStatusRow } from '../storage/review/commit-status-store.js';
import type { ReviewDeps } from './review-deps.js';
import { checkTargetUrl } from './webhooks/webhook-input.js';

/** GitHub's commit status states. */
export const STATUS_STATES = ['pending', 'success', 'failure', 'error'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

/** Limits of a posted status (the columns' sizes; GitHub's description limit). */
export const MAX_CONTEXT_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 140;
export const DEFAULT_CONTEXT = 'default';

/** The latest status of one context on one commit of one repository. */
export interface CommitStatusRecord {
  readonly repoPath: string;
  readonly commit: ObjectId;
  readonly context: string;
  readonly state: StatusState;
  readonly targetUrl?: string;
  readonly description?: string;
  readonly creator: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StatusInput {
  readonly state: string;
  readonly context?: string;
  readonly targetUrl?: string;
  readonly description?: string;
}

/** GitHub's combined status: every context's latest, and one state for all. */
export interface CombinedStatus {
  readonly repoPath: string;
  readonly commit: ObjectId;
  /** `failure` if any failed or errored, `pending` if any is pending or there is none, else `success`. */
  readonly state: 'pending' | 'success' | 'failure';
  readonly totalCount: number;
  readonly statuses: CommitStatusRecord[];
}

/**
 * Commit statuses that CI systems post (GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}`
 * shape) and the checks a merge request's head commits have.
 */
export class CommitStatuses {
  constructor(private readonly deps: ReviewDeps) {}

  /**
   * Records the status of `context` on `sha` in `repoPath` (the latest per context is kept) and
   * announces it. Needs `write` on the repository; the sha must be a full id of a commit the
   * repository holds.
   */
  async post(
    repoPath: string,
    sha: string,
    input: StatusInput,
    actor: { readonly username: string; readonly authority: Permissions },
  ): Promise<CommitStatusRecord> {
    actor.authority.require(repoPath, 'write', 'posting a commit status');
    const state = checkState(input.state);
    const context = checkContext(input.context ?? DEFAULT_CONTEXT);
    const targetUrl =
      input.targetUrl === undefined || input.targetUrl === ''
        ? null
        : checkTargetUrl(input.targetUrl, 'status_target_url_invalid');
    const description = input.description === undefined ? null : checkDescription(input.description);
    const commit = await this.requireCommit(repoPath, sha);
    const row = await this.deps.storage.review.statuses.upsert({
      repoPath,
      commit,
      context,
      state,
      targetUrl,
      description,
      creator: actor.username,
      at: new Date().toISOString(),
    });
    this.deps.events.emit({ type: 'status', repoPath, commit, context, state, actor: actor.username });
    return recordOf(row);
  }

  /** The latest status per context of `commit` in `repoPath` (sorted by context). */
  async latest(repoPath: string, commit: ObjectId): Promise<CommitStatusRecord[]> {
    return (await this.deps.storage.review.statuses.latest(repoPath, commit)).map(recordOf);
  }

  /** What a reader sees: the statuses of a commit of a repository they may read (404 otherwise). */
  async list(repoPath: string, sha: string, reader: Permissions): Promise<CommitStatusRecord[]> {
    reader.requireRead(repoPath);
    return this.latest(repoPath, await this.requireCommit(repoPath, sha));
  }

  async combined(repoPath: string, sha: string, reader: Permissions): Promise<CombinedStatus> {
    const statuses = await this.list(repoPath, sha, reader);
    return {
      repoPath,
      commit: parseSha(sha),
      state: combinedState(statuses.map((status) => status.state)),
      totalCount: statuses.length,
      statuses,
    };
  }

  /** The commit `sha` of `repoPath`: 404 unless the repository exists and holds that commit. */
  private async requireCommit(repoPath: string, sha: string): Promise<ObjectId> {
    const commit = parseSha(sha);
    const { storage, monorepo } = this.deps;
    const repository = await storage.repositories.find(repoPath);
    if (!repository) throw notFound('repository_not_found', `${repoPath}: not found`, { path: repoPath });
    const held = await storage.objects.has(repository.id, [commit]);
    const header = held.has(commit) ? await monorepo.objects.source.readObjectHeader(commit) : undefined;
    if (header?.type !== 'commit')
      throw notFound('commit_not_found', `no commit ${commit} in ${repoPath}`, { path: repoPath });
    return commit;
  }
}

/** `failure` if any failed or errored, `pending` if any is pending or there is none, else `success`. */
export function combinedState(states: readonly StatusState[]): CombinedStatus['state'] {
  if (states.some((state) => state === 'failure' || state === 'error')) return 'failure';
  if (states.length === 0 || states.includes('pending')) return 'pending';
  return 'success';
}

/** A full commit id, SHA-1 (40 hex) or SHA-256 (64 hex); abbreviations are refused. */
function parseSha(sha: string): ObjectId {
  const lowered = sha.toLowerCase();
  if (isObjectId(lowered, SHA1) || isObjectId(lowered, SHA256)) return lowered;
  throw invalid('status_sha_invalid', 'the sha must be a full commit id (40 or 64 hex digits)');
}

function checkState(state: string): StatusState {
  if (!(STATUS_STATES as readonly string[]).includes(state))
    throw invalid('status_state_invalid', `state must be one of ${STATUS_STATES.join(', ')}`);
  return state as StatusState;
}

function checkContext(context: string): string {
  if (context.length === 0 || context.length > MAX_CONTEXT_LENGTH || /[\u0000-\u001f\u007f]/.test(context))
    throw invalid(
      'status_context_invalid',
      `context must be 1 to ${MAX_CONTEXT_LENGTH} characters without control characters`,
    );
  return context;
}

function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description))
    throw invalid(
      'status_description_invalid',
      `description must be at most ${MAX_DESCRIPTION_LENGTH} characters without control characters`,
    );
  return description;
}

function recordOf(row: CommitStatusRow): CommitStatusRecord {
  return {
    repoPath: row.repo_path,
    commit: storedId(row.commit_id),
    context: row.context,
    state: row.state as StatusState,
    ...(row.target_url !== null ? { targetUrl: row.target_url } : {}),
    ...(row.description !== null ? { description: row.description } : {}),
    creator: row.creator,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
