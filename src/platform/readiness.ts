/**
 * One dependency's state as `/readyz` reports it: `ok` decides readiness, `message` says why not,
 * `details` carries the numbers (free bytes, thresholds) an operator acts on.
 */
export interface DependencyState {
  readonly name: string;
  readonly ok: boolean;
  readonly message?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Checks every dependency of a process; never throws (a failing check is a state that is not ok). */
export type ReadinessCheck = () => Promise<readonly DependencyState[]>;
