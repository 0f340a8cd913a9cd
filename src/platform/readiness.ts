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

/** `/readyz`'s body: the verdict and every dependency's state, so an operator sees which one failed. */
export interface ReadinessBody {
  readonly status: 'ready' | 'not_ready';
  readonly dependencies: Record<string, Omit<DependencyState, 'name' | 'ok'> & { status: 'ok' | 'failing' }>;
}

/** The same body for `mega serve` and `mega worker`, so one probe and one dashboard read both. */
export function readinessBody(states: readonly DependencyState[]): ReadinessBody {
  const dependencies: ReadinessBody['dependencies'] = {};
  for (const { name, ok, ...rest } of states) dependencies[name] = { status: ok ? 'ok' : 'failing', ...rest };
  return { status: states.every((state) => state.ok) ? 'ready' : 'not_ready', dependencies };
}
