/**
 * Keeps `mega_sync_storage_bytes` current without walking the disk per scrape: walking every file
 * of every copy is O(files) (a large checkout has 100k+), and a scrape every few seconds would
 * keep a core busy, while the footprint only changes when this worker syncs, cleans up or deletes.
 * So the worker asks for a measurement after each of those (and at start); requests during a
 * running walk coalesce into one more walk after it, so at most one walk runs at a time.
 */
export class StorageMeter {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly measure: () => Promise<number>,
    private readonly report: (bytes: number) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts a measurement, or one more after the running one; resolves when it is reported. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when no measurement is running or due. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        this.report(await this.measure());
      } catch (error) {
        this.onError(error);
      }
    } while (this.again);
  }
}
