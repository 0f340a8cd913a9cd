import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { PendingObjects } from '../monorepo/pending-objects.js';
import { isMegaError } from '../platform/errors.js';
import type { Mergeability, MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { mergeCommitTrees } from './merge-plan.js';
import { targetRefOf } from './merge-target.js';
import type { ReviewDeps } from './review-deps.js';
import type { ReviewEvent } from './review-events.js';
import { appendAll } from '../platform/append-all.js';

/** Merge request actions after which the proposal or its targets may merge differently. */
const RECOMPUTE_ON = new Set(['opened', 'updated', 'force_updated', 'reopened', 'target_updated']);
/** Open merge requests read per page when a push moves a target. */
const PAGE = 200;

/**
 * Whether each open merge request merges cleanly, known before anyone presses Merge: computed
 * when a request is opened, updated or reopened, and for every open request touching a
 * repository when a push (or a merge) moves it. The result is stored with the target heads it was
 * computed against, so a reader can tell when it is stale (`isCurrent`), and `show` recomputes it
 * then. The work is a tree merge per touched repository that reads only the subtrees both sides
 * changed (no database round trip per unchanged file), and no object is written.
 */
export class MergeabilityChecker {
  /** One computation at a time per merge request: the last event's result is stored last. */
  private readonly running = new Map<number, Promise<unknown>>();

  constructor(private readonly deps: ReviewDeps) {}

  /** Recomputes on the review events that can change a verdict. */
  subscribe(): void {
    this.deps.events.subscribe((event) => this.onEvent(event));
  }

  private async onEvent(event: ReviewEvent): Promise<void> {
    if (event.type === 'merge_request' && RECOMPUTE_ON.has(event.action)) {
      await this.refresh(event.number);
    } else if (event.type === 'push') {
      const store = this.deps.storage.monorepo.mergeRequests;
      const numbers: number[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await store.list({ status: 'open', path: event.repoPath, limit: PAGE, offset });
        appendAll(
          numbers,
          page.filter((record) => touches(record, event.repoPath)).map((r) => r.number),
        );
        if (page.length < PAGE) break;
      }
      for (const number of numbers) await this.refresh(number);
    }
  }

  /** Computes and stores the mergeability of an open merge request (queued behind a running one). */
  async refresh(number: number): Promise<Mergeability | undefined> {
    const previous = this.running.get(number) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const record = await this.deps.storage.monorepo.mergeRequests.get(number);
        if (!record || record.status !== 'open') return undefined;
        const mergeability = await this.compute(record);
        await this.deps.storage.monorepo.mergeRequests.setMergeability(number, mergeability);
        return mergeability;
      });
    this.running.set(number, next);
    try {
      return await next;
    } finally {
      if (this.running.get(number) === next) this.running.delete(number);
    }
  }

  /** The target head of each repository the request touches (absent: repository or branch gone). */
  async currentTargets(record: MergeRequestRecord): Promise<Record<string, ObjectId | undefined>> {
    const { repositories, refs } = this.deps.monorepo;
    const targets: Record<string, ObjectId | undefined> = {};
    for (const change of record.changes) {
      const repository = await repositories.find(change.repoPath);
      targets[change.repoPath] = repository
        ? await refs.get(repository.id, targetRefOf(record, repository))
        : undefined;
    }
    return targets;
  }

  /** Whether the stored verdict was computed against the current target heads. */
  async isCurrent(record: MergeRequestRecord): Promise<boolean> {
    if (record.mergeability.state === 'unknown') return false;
    const targets = await this.currentTargets(record);
    return record.changes.every(
      (change) => record.mergeability.targets[change.repoPath] === targets[change.repoPath],
    );
  }

  /**
   * Merges each proposal into its target head in memory. A missing repository or branch, or a
   * merge over `MAX_MERGE_FILES`, is `unknown` (merging would refuse it with its own error).
   */
  async compute(record: MergeRequestRecord): Promise<Mergeability> {
    const current = await this.currentTargets(record);
    const objects = new PendingObjects(this.deps.monorepo.objects.source);
    const reader = new ObjectReader(objects);
    const conflicts: Array<{ repository: string; path: string }> = [];
    const targets: Record<string, string> = {};
    let known = true;
    for (const change of record.changes) {
      const head = current[change.repoPath];
      if (head === undefined) {
        known = false;
        continue;
      }
      targets[change.repoPath] = head;
      if (head === change.baseCommit || head === change.headCommit) continue;
      try {
        const merged = await mergeCommitTrees(objects, reader, change.baseCommit, change.headCommit, head);
        appendAll(
          conflicts,
          merged.conflicts.map((path) => ({ repository: change.repoPath, path })),
        );
      } catch (error) {
        // Too big to merge here: merging refuses it with the same error, the verdict stays open.
        if (!isMegaError(error, 'too_large', 'merge_too_large')) throw error;
        known = false;
      }
    }
    const state = !known ? 'unknown' : conflicts.length > 0 ? 'conflict' : 'clean';
    return { state, conflicts, targets, checkedAt: new Date().toISOString() };
  }
}

function touches(record: MergeRequestRecord, repoPath: string): boolean {
  return record.changes.some((change) => change.repoPath === repoPath);
}
