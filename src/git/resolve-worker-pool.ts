import type { Worker } from 'node:worker_threads';
import { MegaError, type ErrorKind } from '../platform/errors.js';
import { startModuleWorker } from '../platform/module-worker.js';
import type { ResolveJob, ResolveJobResult } from './resolve-job.js';

/** Message to a worker; `seq` pairs it with the reply. */
export interface WorkerRequest {
  readonly seq: number;
  readonly job: ResolveJob;
}

/** A worker's reply: `seq` -1 once it is ready, then one per job (a result or an error). */
export interface WorkerReply {
  readonly seq: number;
  readonly result?: ResolveJobResult;
  readonly error?: {
    readonly kind: ErrorKind;
    readonly code: MegaError['code'];
    readonly message: string;
    readonly details: Record<string, unknown>;
  };
}

interface Pending {
  readonly seq: number;
  readonly job: ResolveJob;
  readonly owner: object;
  resolve(result: ResolveJobResult): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  busy: Pending | undefined;
  dead: boolean;
}

/** Workers left idle this long are stopped (they are started again on the next big pack). */
const IDLE_MS = 30_000;

/**
 * A fixed set of worker threads running `ResolveJob`s, one job per worker at a time, the rest
 * queued in order. Pools are shared per thread count and kept between packs, because a fresh
 * worker runs its first thousands of deltas with a cold JIT (several times slower): a server
 * indexing push after push keeps them warm. Idle workers never keep the process alive and stop
 * after `IDLE_MS`.
 */
export class ResolveWorkerPool {
  /** True once every worker is running; false if one failed to start (then resolve elsewhere). */
  readonly ready: Promise<boolean>;
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private seq = 0;
  private users = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    threads: number,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.slots = Array.from({ length: threads }, () => ({
      worker: startModuleWorker(import.meta.url, 'resolve-worker'),
      busy: undefined,
      dead: false,
    }));
    this.ready = Promise.all(this.slots.map((slot) => this.watch(slot))).then((states) => {
      this.settle();
      return states.every(Boolean);
    });
  }

  get size(): number {
    return this.slots.length;
  }

  /** Marks the pool in use (no idle stop) until `release(owner)`. */
  acquire(): object {
    this.users++;
    clearTimeout(this.idleTimer);
    return {};
  }

  /** Ends a use: jobs of `owner` still queued are dropped (their caller gave up). */
  release(owner: object): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.owner === owner) this.queue.splice(i, 1)[0]!.reject(workerFailed('cancelled'));
    }
    this.users--;
    this.settle();
  }

  /** Runs `job` on the next free worker; its `bytes` buffer is transferred (unusable afterwards). */
  run(job: ResolveJob, owner: object): Promise<ResolveJobResult> {
    if (this.closed) return Promise.reject(workerFailed('the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ seq: this.seq++, job, owner, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.onClose();
    for (const pending of this.queue.splice(0)) pending.reject(workerFailed('the worker pool was closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Resolves true when the worker reports ready, false if it fails first. */
  private watch(slot: Slot): Promise<boolean> {
    return new Promise((ready) => {
      slot.worker.on('message', (reply: WorkerReply) => {
        if (reply.seq === -1) {
          ready(true);
          return;
        }
        const pending = slot.busy;
        slot.busy = undefined;
        if (pending) {
          if (reply.error) pending.reject(rebuildError(reply.error));
          else pending.resolve(reply.result!);
        }
        this.dispatch();
        this.settle();
      });
      const fail = (reason: string) => {
        ready(false);
        slot.dead = true;
        slot.busy?.reject(workerFailed(reason));
        slot.busy = undefined;
        // A pool with a lost worker is not reused; the next pack starts a new one.
        void this.close();
      };
      slot.worker.on('error', (error) => fail(error.message));
      slot.worker.on('exit', (code) => fail(`worker exited with code ${code}`));
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy || slot.dead) continue;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.worker.ref();
      const request: WorkerRequest = { seq: pending.seq, job: pending.job };
      slot.worker.postMessage(request, [pending.job.bytes]);
    }
  }

  /** Idle workers stop holding the process open; an unused pool stops after `IDLE_MS`. */
  private settle(): void {
    for (const slot of this.slots) if (!slot.busy) slot.worker.unref();
    if (this.users > 0 || this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
    this.idleTimer.unref();
  }
}

const shared = new Map<number, ResolveWorkerPool>();

/** The process's pool of `threads` workers, started on first use. */
export function sharedResolveWorkerPool(threads: number): ResolveWorkerPool {
  let pool = shared.get(threads);
  if (!pool) {
    const created = new ResolveWorkerPool(threads, () => {
      if (shared.get(threads) === created) shared.delete(threads);
    });
    shared.set(threads, created);
    pool = created;
  }
  return pool;
}

function rebuildError(error: NonNullable<WorkerReply['error']>): MegaError {
  return new MegaError(error.kind, error.code, error.message, error.details);
}

function workerFailed(reason: string): MegaError {
  return new MegaError('internal', 'pack_worker_failed', 'a delta resolution worker failed', { reason });
}
