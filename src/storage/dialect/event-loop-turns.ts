/**
 * How long a chain of in-process statements may keep the event loop before it lets it turn.
 * SQLite answers synchronously, so a job that runs statement after statement (the search indexer
 * after a push: ~20 s of them at 25k files) resolves every await as a microtask and never returns
 * to the event loop: nothing else runs meanwhile, not even the `nextTick`s that end the push's own
 * response, which git waited for until the indexer was done.
 */
export const MAX_BUSY_MS = 20;

/**
 * Gives the event loop a turn between statements once `maxBusyMs` passed since the last turn it
 * gave: timers, sockets and other requests run, then the statement does. Never while `mayTurn`
 * says no: inside a transaction, what runs meanwhile could be another connection to the same
 * file (two processes simulated in one), whose write would wait for the lock this one holds with
 * SQLite's busy handler, which sleeps on the only thread until it times out.
 */
export class EventLoopTurns {
  private since = performance.now();

  constructor(
    private readonly mayTurn: () => boolean,
    private readonly maxBusyMs = MAX_BUSY_MS,
  ) {}

  /** A promise of the next turn when one is due, else undefined (the statement runs at once). */
  due(): Promise<void> | undefined {
    if (performance.now() - this.since < this.maxBusyMs || !this.mayTurn()) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.since = performance.now();
        resolve();
      }),
    );
  }
}
