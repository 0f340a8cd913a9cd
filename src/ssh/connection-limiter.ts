/**
 * Bounds on what one client address may hold open, so a single host cannot exhaust the server
 * with connections or with handshakes it never finishes (sshd's MaxStartups and PerSourceMaxStartups
 * idea), and slows down key guessing: an address whose connections keep failing to authenticate
 * is refused for a while. In process memory: each server counts its own connections.
 */
export interface ConnectionLimits {
  /** Open connections per address (authenticated or not). */
  readonly maxConnectionsPerAddress: number;
  /** Connections per address that have not authenticated yet. */
  readonly maxUnauthenticatedPerAddress: number;
  /** Open connections in all. */
  readonly maxConnections: number;
  /** Connections that ended without authenticating, per address and window, before refusals. */
  readonly maxFailuresPerWindow: number;
  readonly failureWindowMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnectionsPerAddress: 16,
  maxUnauthenticatedPerAddress: 4,
  maxConnections: 1024,
  maxFailuresPerWindow: 10,
  failureWindowMs: 60_000,
};

interface AddressState {
  open: number;
  unauthenticated: number;
  failures: number[];
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly reason: string };

export class ConnectionLimiter {
  private readonly addresses = new Map<string, AddressState>();
  private open = 0;

  constructor(
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a new (unauthenticated) connection in, or says why it is refused. */
  admit(address: string): Admission {
    const state = this.stateOf(address);
    this.forgetOldFailures(state);
    if (state.failures.length >= this.limits.maxFailuresPerWindow)
      return { admitted: false, reason: 'too many failed authentications' };
    if (this.open >= this.limits.maxConnections) return { admitted: false, reason: 'server busy' };
    if (state.open >= this.limits.maxConnectionsPerAddress)
      return { admitted: false, reason: 'too many connections from this address' };
    if (state.unauthenticated >= this.limits.maxUnauthenticatedPerAddress)
      return { admitted: false, reason: 'too many unauthenticated connections from this address' };
    state.open += 1;
    state.unauthenticated += 1;
    this.open += 1;
    return { admitted: true };
  }

  /** The connection authenticated: it no longer counts as unauthenticated. */
  authenticated(address: string): void {
    const state = this.addresses.get(address);
    if (state && state.unauthenticated > 0) state.unauthenticated -= 1;
  }

  /** The connection closed; `failed` when it ended without authenticating after trying. */
  closed(address: string, wasAuthenticated: boolean, failed: boolean): void {
    const state = this.addresses.get(address);
    if (!state) return;
    state.open = Math.max(0, state.open - 1);
    if (!wasAuthenticated) state.unauthenticated = Math.max(0, state.unauthenticated - 1);
    if (failed) state.failures.push(this.now());
    this.open = Math.max(0, this.open - 1);
    this.forgetOldFailures(state);
    if (state.open === 0 && state.failures.length === 0) this.addresses.delete(address);
  }

  private stateOf(address: string): AddressState {
    let state = this.addresses.get(address);
    if (!state) {
      state = { open: 0, unauthenticated: 0, failures: [] };
      this.addresses.set(address, state);
    }
    return state;
  }

  private forgetOldFailures(state: AddressState): void {
    const since = this.now() - this.limits.failureWindowMs;
    while (state.failures.length > 0 && (state.failures[0] ?? 0) <= since) state.failures.shift();
  }
}
