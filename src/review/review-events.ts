import type { ObjectId } from '../git/object-id.js';

/** What happened to a merge request (each is also a timeline entry, `merge_request_event`). */
export type MergeRequestAction =
  | 'opened'
  | 'updated'
  | 'force_updated'
  | 'target_updated'
  | 'commented'
  | 'resolved'
  | 'unresolved'
  | 'approved'
  | 'unapproved'
  | 'merged'
  | 'closed'
  | 'reopened';

/**
 * Events of the review area, published in-process after they are committed: webhooks enqueue a
 * delivery for each, and mergeability is recomputed when a push or a merge moves a target.
 */
export type ReviewEvent =
  | {
      readonly type: 'push';
      /** The repository whose refs moved (`/import/foo`, `/projects/bar`, `/`). */
      readonly repoPath: string;
      readonly actor: string;
      readonly refs: ReadonlyArray<{
        readonly name: string;
        readonly before: ObjectId;
        readonly after: ObjectId;
      }>;
    }
  | {
      readonly type: 'merge_request';
      readonly action: MergeRequestAction;
      readonly number: number;
      readonly actor: string;
      /** The path pushed to and every repository the request touches (webhooks match on them). */
      readonly paths: readonly string[];
    }
  | {
      readonly type: 'status';
      readonly repoPath: string;
      readonly commit: ObjectId;
      readonly context: string;
      readonly state: string;
      readonly actor: string;
    };

export type ReviewEventListener = (event: ReviewEvent) => Promise<void> | void;

/**
 * The in-process fan-out of review events. `emit` never throws and never waits: each listener
 * runs in the background and its failure is reported to `onError` (the server logs it).
 */
export class ReviewEvents {
  private readonly listeners: ReviewEventListener[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown, event: ReviewEvent) => void = () => {}) {}

  subscribe(listener: ReviewEventListener): void {
    this.listeners.push(listener);
  }

  emit(event: ReviewEvent): void {
    for (const listener of this.listeners) {
      const run = (async () => listener(event))()
        .catch((error: unknown) => this.onError(error, event))
        .finally(() => this.pending.delete(run));
      this.pending.add(run);
    }
  }

  /** Resolves when every listener started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
