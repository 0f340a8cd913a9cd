import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from '../platform/metrics.js';

/** Prometheus metrics of a worker (seed §8.2: success rate, duration, failure reasons, storage). */
export class SyncMetrics {
  readonly runs: Counter<'status' | 'error_class' | 'task_type'>;
  readonly duration: Histogram<'status'>;
  readonly storageBytes: Gauge;
  readonly inProgress: Gauge;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'mega_sync_runs_total',
      help: 'Finished syncs by status, error class and task type',
      labelNames: ['status', 'error_class', 'task_type'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'mega_sync_duration_seconds',
      help: 'Wall time of a sync, retries included',
      labelNames: ['status'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    });
    this.storageBytes = new Gauge({
      name: 'mega_sync_storage_bytes',
      help: "Disk used by all of this worker's copies and its cache (hard links counted once)",
      registers: [registry],
    });
    this.inProgress = new Gauge({
      name: 'mega_sync_in_progress',
      help: 'Syncs running now',
      registers: [registry],
    });
  }

  finished(status: 'success' | 'failed', errorClass: string | null, taskType: string, seconds: number): void {
    this.runs.inc({ status, error_class: errorClass ?? 'none', task_type: taskType });
    this.duration.observe({ status }, seconds);
  }
}
