import type { SyncMessage } from './sync-message.js';

/** A sync in progress: how to stop it, the request it serves and the copy folder key it writes. */
interface RunningSync {
  readonly controller: AbortController;
  readonly requestId: string;
  readonly copyKey: string;
}

/** A sync the worker should begin now, with the signal that stops it. */
export interface StartedSync {
  readonly message: SyncMessage;
  readonly signal: AbortSignal;
}

/**
 * A worker's per-repository state, keyed by repository id: at most one message waiting and one
 * sync running per repository. A newer message replaces the waiting one and goes to the back.
 */
export class RepositoryQueue {
  private readonly waiting = new Map<number, SyncMessage>();
  private readonly running = new Map<number, RunningSync>();

  enqueue(message: SyncMessage): void {
    this.waiting.delete(message.repository_id);
    this.waiting.set(message.repository_id, message);
  }

  /** Whether this request is already waiting or running for its repository. */
  holds(repositoryId: number, requestId: string): boolean {
    return (
      this.waiting.get(repositoryId)?.request_id === requestId ||
      this.running.get(repositoryId)?.requestId === requestId
    );
  }

  /** Marks the oldest waiting messages of idle repositories running, while fewer than `limit` run. */
  startWaiting(limit: number): StartedSync[] {
    const started: StartedSync[] = [];
    for (const [repositoryId, message] of this.waiting) {
      if (this.running.size >= limit) break;
      if (this.running.has(repositoryId)) continue;
      this.waiting.delete(repositoryId);
      const controller = new AbortController();
      this.running.set(repositoryId, {
        controller,
        requestId: message.request_id,
        copyKey: `${message.tenant_id}/${message.repository_id}`,
      });
      started.push({ message, signal: controller.signal });
    }
    return started;
  }

  finish(repositoryId: number): void {
    this.running.delete(repositoryId);
  }

  /** Drops every waiting message and aborts every running sync (shutdown). */
  abortAll(): void {
    this.waiting.clear();
    for (const { controller } of this.running.values()) controller.abort();
  }

  /** The copy folders running syncs write to, which cleanup must leave alone. */
  busyCopyKeys(): Set<string> {
    return new Set([...this.running.values()].map((sync) => sync.copyKey));
  }

  get waitingCount(): number {
    return this.waiting.size;
  }
}
