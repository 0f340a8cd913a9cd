import type { Logger } from '../platform/logger.js';
import type { SyncConfigStore } from '../storage/sync/sync-config-store.js';
import type { SyncLeaseStore } from '../storage/sync/sync-lease-store.js';
import { parseSchedule, startSchedule } from './sync-schedule.js';

/**
 * Fires scheduled syncs (seed §3.2). Every server runs one; for each firing slot of a repository
 * the instances race for the lease `schedule:<repo>:<slot>` and only the winner publishes, so a
 * fleet of servers fires each slot exactly once. Leases expire and are purged.
 */
export interface SchedulerDeps {
  readonly configStore: SyncConfigStore;
  readonly leaseStore: SyncLeaseStore;
  /** Publishes a scheduled sync (the service's `trigger`). */
  readonly trigger: (tenantId: number, repositoryId: number) => Promise<unknown>;
  readonly logger: Logger;
  /** Identifies this instance in leases. */
  readonly holderId: string;
  /** How often the repository list is re-read for new or changed schedules. */
  readonly refreshIntervalMs: number;
}

const SLOT_LEASE_MS = 24 * 3_600_000;

export class SyncScheduler {
  private readonly jobs = new Map<number, { schedule: string; stop: () => void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.deps.logger.warn({ err: String(error) }, 'schedule refresh failed'),
      );
    }, this.deps.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }

  /** Re-reads scheduled repositories: starts new schedules, restarts changed ones, stops removed ones. */
  async refresh(): Promise<void> {
    const repositories = await this.deps.configStore.scheduledRepositories();
    const seen = new Set<number>();
    for (const repository of repositories) {
      if (repository.schedule === null) continue;
      seen.add(repository.id);
      const current = this.jobs.get(repository.id);
      if (current?.schedule === repository.schedule) continue;
      current?.stop();
      try {
        const stop = startSchedule(
          parseSchedule(repository.schedule),
          (slot) => void this.fire(repository.tenant_id, repository.id, slot),
        );
        this.jobs.set(repository.id, { schedule: repository.schedule, stop });
      } catch (error) {
        this.jobs.delete(repository.id);
        this.deps.logger.warn({ repository: repository.id, err: String(error) }, 'ignoring invalid schedule');
      }
    }
    for (const [id, job] of this.jobs) {
      if (seen.has(id)) continue;
      job.stop();
      this.jobs.delete(id);
    }
    await this.deps.leaseStore.purgeExpired();
  }

  /** One slot of one repository: only the instance that takes the slot's lease publishes. */
  async fire(tenantId: number, repositoryId: number, slot: Date): Promise<boolean> {
    const lease = `schedule:${repositoryId}:${slot.toISOString()}`;
    try {
      if (!(await this.deps.leaseStore.tryAcquire(lease, this.deps.holderId, SLOT_LEASE_MS))) return false;
      await this.deps.trigger(tenantId, repositoryId);
      return true;
    } catch (error) {
      this.deps.logger.warn({ repository: repositoryId, err: String(error) }, 'scheduled sync not published');
      return false;
    }
  }

  scheduledCount(): number {
    return this.jobs.size;
  }
}
