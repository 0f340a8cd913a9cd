import type { Logger } from '../platform/logger.js';
import type { SyncLeaseStore } from '../storage/sync/sync-lease-store.js';
import { parseSchedule, startSchedule } from '../sync/sync-schedule.js';
import type { GithubService } from './github-service.js';

export interface GithubPollSchedulerDeps {
  readonly service: Pick<GithubService, 'autoLink' | 'syncAll'>;
  readonly leases: Pick<SyncLeaseStore, 'tryAcquire'>;
  readonly logger: Logger;
  /** `@every 10m`, a cron pattern, or `off` (MEGA_GITHUB_POLL_INTERVAL). */
  readonly schedule: string;
  /** Identifies this server in leases. */
  readonly holderId: string;
}

const SLOT_LEASE_MS = 24 * 3_600_000;

/**
 * Polls every GitHub link on the sync scheduler's terms (`sync-schedule.ts`): epoch-aligned slots,
 * and a lease `github-poll:<slot>` in `sync_locks` per slot, so of all servers exactly one polls.
 * Each slot first makes the automatic links of mirrored GitHub repositories, then polls them all
 * one after another (a poll of an unchanged repository is three 304s).
 */
export class GithubPollScheduler {
  private stopSchedule: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: GithubPollSchedulerDeps) {}

  /** Starts; false when the schedule is `off`. Throws `schedule_invalid` on a bad schedule. */
  start(): boolean {
    if (this.deps.schedule.trim() === 'off') return false;
    const schedule = parseSchedule(this.deps.schedule);
    this.stopSchedule = startSchedule(schedule, (slot) => {
      // A slot that comes while the previous poll still runs is skipped, not queued.
      if (this.running) return;
      this.running = this.fire(slot).then(
        () => undefined,
        () => undefined,
      );
      void this.running.finally(() => (this.running = undefined));
    });
    return true;
  }

  async stop(): Promise<void> {
    this.stopSchedule?.();
    await this.running;
  }

  /** One slot: only the server that takes its lease links and polls. */
  async fire(slot: Date): Promise<boolean> {
    try {
      const lease = `github-poll:${slot.toISOString()}`;
      if (!(await this.deps.leases.tryAcquire(lease, this.deps.holderId, SLOT_LEASE_MS))) return false;
      const linked = await this.deps.service.autoLink();
      const { polled, failed } = await this.deps.service.syncAll();
      this.deps.logger.info({ linked, polled, failed }, 'GitHub poll');
      return true;
    } catch (error) {
      this.deps.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'GitHub poll failed',
      );
      return false;
    }
  }
}
