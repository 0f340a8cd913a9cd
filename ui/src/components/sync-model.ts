import type { BarDatum } from './charts';

/** JSON shapes of the sync REST API (`/api/v1/sync`, see /api/openapi.json). */
export interface SyncRepository {
  id: number;
  tenantId: number;
  name: string;
  url: string;
  branch: string;
  isPublic: boolean;
  credentialId: number | null;
  schedule: string | null;
}

export interface SyncCredential {
  id: number;
  name: string;
  type: 'password' | 'token' | 'ssh_key';
  username: string | null;
  knownHost: string | null;
  updatedAt: string;
}

export interface SyncLog {
  id: number;
  repositoryId: number;
  workerId: string;
  taskType: string;
  status: 'running' | 'success' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt: string | null;
  /** Seconds. */
  duration: number | null;
  /** Redacted by the worker (secrets replaced by `[redacted]`) and truncated. */
  commandOutput: string | null;
  errorMessage: string | null;
  errorClass: string | null;
  fromCommit: string | null;
  toCommit: string | null;
}

export interface SyncSummary {
  total: number;
  success: number;
  failed: number;
  running: number;
  successRate: number | null;
  /** Seconds. */
  averageDuration: number | null;
  failureReasons: Record<string, number>;
  storageBytes: number;
}

export interface Tenant {
  id: number;
  name: string;
}

/** Success and failure counts per day of the loaded logs, oldest first. */
export function runsPerDay(logs: readonly SyncLog[]): BarDatum[] {
  const days = new Map<string, { success: number; failed: number }>();
  for (const log of logs) {
    const day = log.startedAt.slice(0, 10);
    const entry = days.get(day) ?? { success: 0, failed: 0 };
    if (log.status === 'success') entry.success++;
    if (log.status === 'failed') entry.failed++;
    days.set(day, entry);
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, counts]) => {
      const total = counts.success + counts.failed;
      const rate = total === 0 ? 0 : (100 * counts.success) / total;
      // The failed share is stacked on top in the failure colour, so a bad day shows too.
      return {
        label: day.slice(5),
        value: rate,
        secondary: total === 0 ? 0 : 100 - rate,
        title: `${day}: ${rate.toFixed(0)}% of ${total} runs succeeded`,
      };
    });
}
