import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../platform/module-worker.js';

/**
 * Write-ahead log size after a commit that starts a checkpoint: SQLite's own default
 * (`wal_autocheckpoint` = 1000 pages of 4 KiB).
 */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;
/**
 * Bytes of write-ahead log at which the main connection checkpoints by itself after all (set as
 * pages of the database's page size): the safety net if the checkpoint thread cannot keep up,
 * fails, or no transaction commits (writes outside a transaction do not call `afterCommit`).
 * 10,000 pages of 4 KiB.
 */
export const FALLBACK_AUTOCHECKPOINT_BYTES = 10_000 * 4096;
/** How long `close` waits for a running checkpoint before stopping the thread. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Runs SQLite's WAL checkpoints on a thread of their own. By default the connection that commits
 * a transaction past 1000 pages of log copies the whole log into the database file and syncs it
 * twice before the commit returns: for a push of 30k objects that is ~13 MB and, measured on a
 * busy machine, 60–250 ms of the push's time (the commit itself takes 25–55 ms). Here the main
 * connection's automatic checkpoint is moved out to `FALLBACK_AUTOCHECKPOINT_BYTES`, and after a
 * commit that leaves more than `CHECKPOINT_WAL_BYTES` of log, a worker thread with its own
 * connection checkpoints instead. Durability is unchanged: a commit is in the log either way
 * (and with `synchronous = NORMAL` the log is synced at checkpoints, not at commits). The thread
 * starts at the first such commit, so processes that write little never start it.
 */
export class SqliteCheckpointer {
  private worker: Worker | undefined;
  private running = false;
  private again = false;
  private closed = false;
  /** Whether the thread has opened its connection. */
  private opened = false;
  /** Callers of `ready` and `idle` waiting for the thread. */
  private readyWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly path: string,
    /** Called once if the thread fails: the caller restores the connection's own checkpoints. */
    private readonly onFailure: (error: Error) => void,
    private readonly walBytes = CHECKPOINT_WAL_BYTES,
  ) {}

  /** Called after every commit: starts a checkpoint when the log has grown past the threshold. */
  afterCommit(): void {
    if (this.closed || this.walSize() <= this.walBytes) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.start().postMessage('checkpoint');
  }

  /**
   * Starts the thread now, if it is not running, and resolves once its connection is open (or the
   * thread failed). A server starts it once, at its first big commit; a bench that opens a fresh
   * database for each measured ingest calls this first, so that its window does not hold a thread
   * start a server pays once (docs/scale.md, "SQLite's checkpoint thread in the storage bench").
   */
  ready(): Promise<void> {
    if (this.closed || this.opened) return Promise.resolve();
    this.start().ref();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Resolves once no checkpoint runs or waits to run (at once if none does). */
  idle(): Promise<void> {
    if (!this.running || !this.worker) return Promise.resolve();
    this.worker.ref();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether the thread was started (for tests). */
  get threadStarted(): boolean {
    return this.worker !== undefined;
  }

  /** Stops the thread (after a running checkpoint, within a few seconds). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.wake();
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(import.meta.url, 'sqlite-checkpoint-worker', {
      workerData: { path: this.path },
    });
    // An idle checkpoint thread must not keep the process alive.
    worker.unref();
    worker.on('message', (message: 'open' | 'done') => {
      if (message === 'open') {
        this.opened = true;
      } else {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.afterCommit();
        }
      }
      this.wake();
    });
    worker.on('error', (error) => {
      this.closed = true;
      this.worker = undefined;
      this.wake();
      this.onFailure(error);
    });
    this.worker = worker;
    return worker;
  }

  /** Resolves the waiters whose condition now holds; an idle thread again lets the process exit. */
  private wake(): void {
    if (this.opened || this.closed) for (const resolve of this.readyWaiters.splice(0)) resolve();
    if (!this.running || this.closed) for (const resolve of this.idleWaiters.splice(0)) resolve();
    if (this.readyWaiters.length === 0 && this.idleWaiters.length === 0) this.worker?.unref();
  }

  private walSize(): number {
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }
}
