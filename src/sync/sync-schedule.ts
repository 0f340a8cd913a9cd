import { Cron } from 'croner';
import { invalid } from '../platform/errors.js';

/**
 * A repository's schedule: a cron pattern (5 or 6 fields, croner syntax, UTC) or an interval
 * `@every <n><s|m|h|d>`. Intervals are aligned to the epoch, so every server computes the same
 * firing slots and the slot lock lets exactly one of them fire.
 */
export type Schedule =
  { readonly kind: 'cron'; readonly pattern: string } | { readonly kind: 'interval'; readonly ms: number };

const INTERVAL = /^@every\s+(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MIN_INTERVAL_MS = 10_000;
const MAX_SCHEDULE_LENGTH = 128;

export function parseSchedule(text: string): Schedule {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_SCHEDULE_LENGTH)
    throw invalid('schedule_invalid', 'schedule is empty or too long');
  const interval = INTERVAL.exec(trimmed);
  if (interval) {
    const ms = Number(interval[1]) * UNIT_MS[interval[2] as keyof typeof UNIT_MS];
    if (ms < MIN_INTERVAL_MS) throw invalid('schedule_invalid', 'interval must be at least 10 s');
    return { kind: 'interval', ms };
  }
  try {
    new Cron(trimmed, { paused: true, timezone: 'UTC' }).stop();
  } catch (error) {
    throw invalid('schedule_invalid', 'schedule must be a cron pattern or "@every <n><s|m|h|d>"', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  return { kind: 'cron', pattern: trimmed };
}

/** Calls `fire(slot)` at each slot of the schedule until the returned function is called. */
export function startSchedule(schedule: Schedule, fire: (slot: Date) => void): () => void {
  if (schedule.kind === 'cron') {
    const job = new Cron(schedule.pattern, { timezone: 'UTC', protect: true }, (self: Cron) => {
      fire(self.currentRun() ?? new Date());
    });
    return () => job.stop();
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    const now = Date.now();
    const next = (Math.floor(now / schedule.ms) + 1) * schedule.ms;
    timer = setTimeout(() => {
      if (stopped) return;
      fire(new Date(next));
      arm();
    }, next - now);
    timer.unref();
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
