import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { addRepo, makeUpstream, startHarness, syncAndWait, type Harness } from './support/sync-harness.js';

/**
 * `mega_sync_storage_bytes` is what the worker has on disk: every copy of every repository (not
 * just the newest, not just those synced since start) and its cache, hard links counted once —
 * checked against `du`, which counts the same way.
 */
describe('mega_sync_storage_bytes', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let h: Harness | undefined;
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-storage-');
  });
  afterAll(async () => {
    await h?.close();
    await temp?.remove();
  });

  const gauge = async (harness: Harness) =>
    (await harness.runtime.metrics!.storageBytes.get()).values[0]?.value ?? 0;

  /** `du` over the worker's copies and cache: GNU du counts a hard-linked file once over all args. */
  const du = async (harness: Harness): Promise<number> => {
    const base = harness.config.sync.repoBaseDir;
    const id = harness.runtime.worker!.workerId;
    const paths = [join(base, '.cache', id)];
    for (const tenant of await readdir(base))
      if (/^\d+$/.test(tenant))
        for (const repo of await readdir(join(base, tenant)))
          for (const copy of await readdir(join(base, tenant, repo)))
            if (copy.startsWith(`${id}_`)) paths.push(join(base, tenant, repo, copy));
    const { stdout } = await promisify(execFile)('du', ['-s', '-B1', '-c', ...paths]);
    return Number(/^(\d+)\s+total$/m.exec(stdout)?.[1]);
  };

  it('counts every copy and the cache, also those a previous run of the worker left', async () => {
    const dataDir = join(temp.path, 'data');
    h = await startHarness({}, { dataDir });
    expect(await gauge(h)).toBe(0);
    const upstream = await makeUpstream(temp.path, 3);
    const first = await addRepo(h, { name: 'one', url: `file://${upstream}` });
    const second = await addRepo(h, { name: 'two', url: `file://${upstream}` });
    const logs = [await syncAndWait(h, first), await syncAndWait(h, first), await syncAndWait(h, second)];
    expect(logs.every((log) => log.status === 'success')).toBe(true);

    const measured = await gauge(h);
    expect(measured).toBe(await du(h));
    // More than the newest copy of each repository, which is all it used to count.
    expect(measured).toBeGreaterThan((logs[1]!.bytes_on_disk ?? 0) + (logs[2]!.bytes_on_disk ?? 0));

    // A restarted worker (same data directory, same id) measures what is on disk at start.
    const tenantId = h.tenantId;
    await h.close();
    h = await startHarness({}, { dataDir });
    expect(await gauge(h)).toBe(measured);

    // A delete removes the repository's copies and cache; the gauge follows.
    await h.runtime.service.deleteRepository(tenantId, first, 1);
    await h.runtime.worker!.idle();
    const afterDelete = await gauge(h);
    expect(afterDelete).toBe(await du(h));
    expect(afterDelete).toBeLessThan(measured);
  });
});
