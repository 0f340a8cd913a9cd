import { buildDomainServices } from '../../src/cli/app.js';
import { loadConfig } from '../../src/platform/config.js';
import { scratchStorage, type ScratchDatabase } from '../../tests/support/scratch-database.js';
import { timeMs } from '../report.js';

/**
 * Times what runs when a merge request is opened or a target moves: its mergeability computed
 * over the server's database and stored, in this process (the same code `mega serve` runs).
 * One untimed run first (connections, statement caches), then `runs` timed ones.
 */
export async function measureMergeability(
  scratch: ScratchDatabase,
  dataDir: string,
  number: number,
  runs: number,
): Promise<number[]> {
  const storage = scratchStorage(scratch, 1 << 20);
  try {
    const config = loadConfig({ env: {}, overrides: { dataDir, databaseUrl: scratch.url } });
    const checker = buildDomainServices(storage, config).review.mergeRequests.mergeability;
    const first = await checker.refresh(number);
    if (first?.state !== 'clean')
      throw new Error(`the bench's merge request should merge cleanly, not ${first?.state ?? 'unknown'}`);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) times.push((await timeMs(() => checker.refresh(number))).ms);
    return times;
  } finally {
    await storage.close();
  }
}
