import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../platform/logger.js';
import type { SyncConfigStore, SyncRepositoryRow } from '../storage/sync/sync-config-store.js';
import type { SyncLeaseStore } from '../storage/sync/sync-lease-store.js';
import type { SyncRunStore } from '../storage/sync/sync-run-store.js';
import { cleanupOldCopies, removeRepositoryCopies, workerFootprint } from './copy-cleanup.js';
import type { CopyLayout } from './copy-paths.js';
import type { CredentialVault } from './credential-vault.js';
import { diskUsage } from './disk-usage.js';
import { isRetryable, type SyncErrorClass } from './error-class.js';
import { prepareGitAuth, type PreparedAuth } from './git-auth.js';
import { GitCommandError, type GitRunner } from './git-runner.js';
import { Redactor, truncateText } from './redact.js';
import type { SyncBus } from './sync-bus.js';
import { removeCopy, SyncExecutor, type MirrorTarget, type SyncOutcome } from './sync-executor.js';
import { RepositoryQueue } from './repository-queue.js';
import type { SyncMessage } from './sync-message.js';
import type { SyncMetrics } from './sync-metrics.js';
import type { SyncSpec } from './sync-spec.js';
import { StorageMeter } from './storage-meter.js';

/**
 * A sync worker (seed §1, §7): receives every broadcast, keeps its own copies, runs at most
 * `concurrency` syncs at once and never two of the same repository, retries network and timeout
 * failures, writes one `git_sync_log` row per run, records its result per durable request, and
 * reconciles missed requests from the database on start and on a timer.
 */
export interface SyncWorkerOptions {
  readonly workerId: string;
  readonly concurrency: number;
  readonly retryAttempts: number;
  readonly retryIntervalMs: number;
  readonly reconcileIntervalMs: number;
  /**
   * Standby group (seed §11.3, primary/standby workers): of the workers sharing a group name only
   * the holder of the lease `worker-group:<name>` syncs; the others stay idle and take over, with a
   * catch-up reconcile, when the primary stops renewing it (3 reconcile intervals). Unset = active.
   */
  readonly group?: string;
  readonly keepDays: number;
  readonly cleanupIntervalMs?: number;
  /** Mirror pushes go to `<serverUrl><mirror_to>` with this token; unset = mirror_to ignored. */
  readonly mirror?: { readonly serverUrl: string; readonly token: string };
}

export interface SyncWorkerDeps {
  readonly runner: GitRunner;
  readonly layout: CopyLayout;
  readonly bus: SyncBus;
  readonly configStore: SyncConfigStore;
  readonly runStore: SyncRunStore;
  readonly leaseStore: SyncLeaseStore;
  readonly vault: CredentialVault;
  readonly metrics: SyncMetrics;
  readonly logger: Logger;
}

/** Longest transcript kept in a log row's `command_output`. */
export const MAX_COMMAND_OUTPUT_BYTES = 64 * 1024;
const DAY_MS = 86_400_000;
/** A standby takes over after the primary missed this many reconcile intervals. */
const GROUP_LEASE_INTERVALS = 3;
const groupLease = (group: string) => `worker-group:${group}`;

interface SyncFailure {
  readonly errorClass: SyncErrorClass;
  readonly message: string;
}

/** What the attempts of one run came to: the outcome of the last, or why it failed. */
interface Attempts {
  readonly outcome?: SyncOutcome;
  readonly failure?: SyncFailure;
  readonly attempts: number;
}

/** A finished run with its transcript and the redactor for its secrets. */
interface SyncRun extends Attempts {
  readonly transcript: string;
  readonly redactor: Redactor;
}

export class SyncWorker {
  private readonly repositories = new RepositoryQueue();
  private readonly running = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private stopped = false;
  private started = false;
  private primary: boolean;
  private readonly storage: StorageMeter;

  constructor(
    private readonly options: SyncWorkerOptions,
    private readonly deps: SyncWorkerDeps,
  ) {
    this.primary = options.group === undefined;
    this.storage = new StorageMeter(
      async () => diskUsage(await workerFootprint(deps.layout, options.workerId)),
      (bytes) => deps.metrics.storageBytes.set(bytes),
      (error) => deps.logger.warn({ err: errorText(error) }, 'measuring sync storage failed'),
    );
  }

  /** False while this worker is a standby of its group. */
  isPrimary(): boolean {
    return this.primary;
  }

  get workerId(): string {
    return this.options.workerId;
  }

  isReady(): boolean {
    return this.started && !this.stopped;
  }

  async start(): Promise<void> {
    const interrupted = await this.deps.runStore.failInterrupted(
      this.options.workerId,
      'the worker stopped before this sync finished',
    );
    if (interrupted > 0)
      this.deps.logger.warn({ interrupted }, 'closed sync logs left running by a previous run');
    this.unsubscribe = await this.deps.bus.subscribe(
      (message) => this.submit(message),
      () => this.reconnected(),
    );
    this.started = true;
    await this.reconcile();
    this.every(this.options.reconcileIntervalMs, () => this.reconcile());
    this.every(this.options.cleanupIntervalMs ?? DAY_MS, () => this.cleanup());
    await this.cleanup();
  }

  /**
   * The bus dropped what was published while it was down; the stored requests have it, so catch
   * up now rather than at the next periodic reconcile (up to its interval later).
   */
  private reconnected(): void {
    if (this.stopped) return;
    this.deps.logger.info('sync bus reconnected; reconciling stored requests');
    this.reconcile().catch((error: unknown) =>
      this.deps.logger.warn({ err: errorText(error) }, 'reconcile after reconnect failed'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.unsubscribe?.();
    if (this.options.group !== undefined && this.primary) {
      await this.deps.leaseStore.release(groupLease(this.options.group), this.options.workerId);
    }
    this.repositories.abortAll();
    await Promise.allSettled([...this.running]);
    await this.storage.settled();
  }

  /** Queues a message; a newer message for a repository replaces a queued older one. */
  submit(message: SyncMessage): void {
    if (this.stopped || !this.primary) return;
    this.repositories.enqueue(message);
    this.pump();
  }

  /** Submits what this worker missed (newest request per repository without a result of ours). */
  async reconcile(): Promise<void> {
    await this.deps.leaseStore.heartbeat(this.options.workerId, hostname());
    if (this.options.group !== undefined) {
      const ttl = this.options.reconcileIntervalMs * GROUP_LEASE_INTERVALS;
      const wasPrimary = this.primary;
      this.primary = await this.deps.leaseStore.tryAcquire(
        groupLease(this.options.group),
        this.options.workerId,
        ttl,
      );
      if (this.primary !== wasPrimary)
        this.deps.logger.info({ group: this.options.group, primary: this.primary }, 'worker role changed');
      if (!this.primary) return;
    }
    for (const request of await this.deps.runStore.pendingRequests(this.options.workerId)) {
      if (this.repositories.holds(request.repository_id, request.request_id)) continue;
      this.submit(JSON.parse(request.message) as SyncMessage);
    }
  }

  async cleanup(): Promise<string[]> {
    const busy = this.repositories.busyCopyKeys();
    const removed = await cleanupOldCopies({
      layout: this.deps.layout,
      workerId: this.options.workerId,
      keepDays: this.options.keepDays,
      busy,
    });
    if (removed.length > 0) this.deps.logger.info({ removed: removed.length }, 'removed old sync copies');
    // At start this is also the first measurement, of the copies a previous run left.
    await this.storage.request();
    return removed;
  }

  /** Resolves when nothing is queued or running, storage measured (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.repositories.waitingCount > 0)
      await Promise.allSettled([...this.running]);
    await this.storage.settled();
  }

  private pump(): void {
    for (const { message, signal } of this.repositories.startWaiting(this.options.concurrency)) {
      const key = message.repository_id;
      const task = this.handle(message, signal)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: errorText(error), repository: key }, 'sync task failed'),
        )
        .finally(() => {
          this.repositories.finish(key);
          this.running.delete(task);
          if (!this.stopped) void this.storage.request();
          this.pump();
        });
      this.running.add(task);
    }
  }

  private async handle(message: SyncMessage, signal: AbortSignal): Promise<void> {
    if (message.action === 'delete') {
      const removed = await removeRepositoryCopies(
        this.deps.layout,
        this.options.workerId,
        message.tenant_id,
        message.repository_id,
      );
      this.deps.logger.info({ repository: message.repository_id, removed }, 'removed repository copies');
      await this.deps.runStore.recordResult(message.request_id, this.options.workerId, 'success');
      return;
    }
    const row = await this.deps.configStore.repository(message.repository_id, message.tenant_id);
    if (!row) {
      await this.skip(message);
      return;
    }
    const status = await this.syncWithLog(message, row, signal);
    await this.deps.runStore.recordResult(message.request_id, this.options.workerId, status);
  }

  /**
   * A message for a repository this installation does not have under the message's tenant (any
   * producer may publish on the channel) leaves a `skipped` row in the tenant's sync log with the
   * reason, and one log line, instead of no trace.
   */
  private async skip(message: SyncMessage): Promise<void> {
    const elsewhere = await this.deps.configStore.repository(message.repository_id);
    const reason = elsewhere
      ? `repository ${message.repository_id} does not belong to tenant ${message.tenant_id}`
      : `repository ${message.repository_id} is not known to this installation`;
    const now = new Date().toISOString();
    await this.deps.runStore.insertLog({
      tenant_id: message.tenant_id,
      repository_id: message.repository_id,
      request_id: message.request_id,
      worker_id: this.options.workerId,
      task_type: message.task_type,
      operator_id: message.operator_id,
      status: 'skipped',
      started_at: now,
      finished_at: now,
      duration_ms: 0,
      local_path: null,
      command_output: null,
      error_message: reason,
      error_class: null,
      attempts: 0,
      from_commit: null,
      to_commit: null,
      bytes_on_disk: null,
    });
    await this.deps.runStore.recordResult(message.request_id, this.options.workerId, 'skipped');
    this.deps.logger.warn(
      { repository: message.repository_id, tenant: message.tenant_id, requestId: message.request_id, reason },
      'skipped sync message',
    );
  }

  private async syncWithLog(
    message: SyncMessage,
    row: SyncRepositoryRow,
    signal: AbortSignal,
  ): Promise<'success' | 'failed'> {
    const started = new Date();
    const logId = await this.openLog(message, row, started);
    this.deps.metrics.inProgress.inc();
    const run = await this.run(row, signal);
    const finished = new Date();
    const status = run.outcome && !run.failure ? 'success' : 'failed';
    const durationMs = finished.getTime() - started.getTime();
    await this.closeLog(logId, run, status, finished, durationMs);
    this.report(message, row, run, status, durationMs);
    return status;
  }

  /** The `running` log row a run starts with. */
  private openLog(message: SyncMessage, row: SyncRepositoryRow, started: Date): Promise<number> {
    return this.deps.runStore.insertLog({
      tenant_id: row.tenant_id,
      repository_id: row.id,
      request_id: message.request_id,
      worker_id: this.options.workerId,
      task_type: message.task_type,
      operator_id: message.operator_id,
      status: 'running',
      started_at: started.toISOString(),
      finished_at: null,
      duration_ms: null,
      local_path: null,
      command_output: null,
      error_message: null,
      error_class: null,
      attempts: 0,
      from_commit: null,
      to_commit: null,
      bytes_on_disk: null,
    });
  }

  /**
   * Prepares the credentials and the mirror target, runs the attempts and removes the credentials
   * again. Never throws: a failure to prepare is the run's failure.
   */
  private async run(row: SyncRepositoryRow, signal: AbortSignal): Promise<SyncRun> {
    let transcript = '';
    const note = (text: string) => {
      transcript += text;
    };
    let redactor = Redactor.none();
    let result: Attempts = { attempts: 0 };
    try {
      const spec = specFromRow(row);
      const auth = await this.authFor(row);
      const mirror = await this.mirrorTarget(spec);
      redactor = new Redactor([...auth.secrets, ...(mirror?.auth.secrets ?? [])]);
      const executor = new SyncExecutor({ ...this.deps, workerId: this.options.workerId, transcript: note });
      try {
        result = await this.attempt(executor, spec, auth, mirror, signal, note);
      } finally {
        await auth.cleanup();
        await mirror?.auth.cleanup();
      }
    } catch (error) {
      result = { ...result, failure: describeFailure(error) };
    }
    return { ...result, transcript, redactor };
  }

  /** Completes the run's log row; the transcript and error text are redacted first. */
  private async closeLog(
    logId: number,
    run: SyncRun,
    status: 'success' | 'failed',
    finished: Date,
    durationMs: number,
  ): Promise<void> {
    const { outcome, failure, redactor } = run;
    await this.deps.runStore.updateLog(logId, {
      status,
      finished_at: finished.toISOString(),
      duration_ms: durationMs,
      local_path: outcome?.localPath ?? null,
      command_output: truncateText(redactor.redact(run.transcript), MAX_COMMAND_OUTPUT_BYTES, 'tail'),
      error_message: failure ? redactor.redact(failure.message) : null,
      error_class: failure?.errorClass ?? null,
      attempts: run.attempts,
      from_commit: outcome?.fromCommit ?? null,
      to_commit: outcome?.toCommit ?? null,
      bytes_on_disk: outcome?.bytesOnDisk ?? null,
    });
  }

  /** Metrics and the log line of a finished run. */
  private report(
    message: SyncMessage,
    row: SyncRepositoryRow,
    run: SyncRun,
    status: 'success' | 'failed',
    durationMs: number,
  ): void {
    const { failure, attempts } = run;
    this.deps.metrics.inProgress.dec();
    this.deps.metrics.finished(status, failure?.errorClass ?? null, message.task_type, durationMs / 1000);
    this.deps.logger.info(
      { repository: row.id, status, errorClass: failure?.errorClass, attempts, durationMs },
      'sync finished',
    );
  }

  /**
   * Runs the executor until it succeeds, fails with a class that is not retried, or runs out of
   * attempts (seed §5.1); every attempt gets a new copy directory, removed when it fails.
   */
  private async attempt(
    executor: SyncExecutor,
    spec: SyncSpec,
    auth: PreparedAuth,
    mirror: MirrorTarget | undefined,
    signal: AbortSignal,
    note: (text: string) => void,
  ): Promise<Attempts> {
    for (let attempts = 1; ; attempts += 1) {
      const copyDir = this.deps.layout.newCopyDir(spec.tenantId, spec.repositoryId, this.options.workerId);
      try {
        return { outcome: await executor.run(spec, auth, { signal, mirror, copyDir }), attempts };
      } catch (error) {
        await removeCopy(copyDir);
        const failure = describeFailure(error);
        if (!isRetryable(failure.errorClass) || attempts > this.options.retryAttempts || signal.aborted) {
          return { failure, attempts };
        }
        note(
          `# attempt ${attempts} failed (${failure.errorClass}); retrying in ${this.options.retryIntervalMs} ms\n`,
        );
        // An abort ends the wait early; the loop then stops on signal.aborted.
        await sleep(this.options.retryIntervalMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async authFor(row: SyncRepositoryRow): Promise<PreparedAuth> {
    let credential = null;
    if (row.credential_id !== null) {
      const stored = await this.deps.configStore.credentialWithSecret(row.credential_id);
      if (!stored || stored.tenant_id !== row.tenant_id)
        throw new GitCommandError('auth', 'the repository credential does not exist', '', null);
      credential = this.deps.vault.open(stored);
    }
    return prepareGitAuth(credential, row.url, {
      tempRoot: this.deps.runner.tempRoot,
      strictHostKeyChecking: row.strict_host_key === 1,
    });
  }

  private async mirrorTarget(spec: SyncSpec): Promise<MirrorTarget | undefined> {
    const mirror = this.options.mirror;
    if (!mirror || spec.mirrorTo === null) return undefined;
    const url = `${mirror.serverUrl.replace(/\/+$/, '')}${spec.mirrorTo}`;
    const auth = await prepareGitAuth({ type: 'token', username: null, secret: mirror.token }, url, {
      tempRoot: this.deps.runner.tempRoot,
      strictHostKeyChecking: true,
    });
    return { serverUrl: mirror.serverUrl, auth };
  }

  private every(intervalMs: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) =>
        this.deps.logger.warn({ err: errorText(error) }, 'periodic sync task failed'),
      );
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }
}

export function specFromRow(row: SyncRepositoryRow): SyncSpec {
  const extra = JSON.parse(row.extra_branches) as string[];
  return {
    tenantId: row.tenant_id,
    repositoryId: row.id,
    name: row.name,
    url: row.url,
    branches: [row.branch, ...extra.filter((branch) => branch !== row.branch)],
    depth: row.depth,
    filter: row.filter,
    lfs: row.lfs === 1,
    submodules: row.submodules === 1,
    strictHostKey: row.strict_host_key === 1,
    mirrorTo: row.mirror_to,
  };
}

function describeFailure(error: unknown): SyncFailure {
  if (error instanceof GitCommandError) return { errorClass: error.errorClass, message: error.message };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS')
    return { errorClass: 'disk', message: errorText(error) };
  return { errorClass: 'unknown', message: errorText(error) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
