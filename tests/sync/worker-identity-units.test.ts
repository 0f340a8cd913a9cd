import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { claimWorkerId, slotWorkerId } from '../../src/sync/worker-identity.js';

describe('claimWorkerId', () => {
  let temp: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    temp = await makeTempDir('mega-worker-identity-');
  });
  afterAll(async () => {
    await temp?.remove();
  });
  const dirsOf = (name: string) => ({
    dataDir: join(temp.path, name),
    baseDir: join(temp.path, name, 'repos'),
  });

  it('gives a second claim on a data directory the next slot, and the first slot back once released', async () => {
    const dirs = dirsOf('slots');
    const first = await claimWorkerId(dirs);
    const second = await claimWorkerId(dirs);
    expect(first.workerId).toBe(slotWorkerId(dirs.dataDir, 0));
    expect(second.workerId).toBe(slotWorkerId(dirs.dataDir, 1));
    expect(first.workerId).not.toBe(second.workerId);
    const lock = JSON.parse(await readFile(join(dirs.baseDir, '.workers', `${first.workerId}.lock`), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid });
    await first.release();
    const again = await claimWorkerId(dirs);
    expect(again.workerId).toBe(first.workerId);
    await Promise.all([second.release(), again.release()]);
  });

  it('refuses a configured id another claim holds, and accepts it once released', async () => {
    const dirs = dirsOf('configured');
    const held = await claimWorkerId(dirs);
    await expect(claimWorkerId({ ...dirs, configured: held.workerId })).rejects.toMatchObject({
      code: 'worker_id_in_use',
    });
    await held.release();
    const claimed = await claimWorkerId({ ...dirs, configured: held.workerId });
    expect(claimed.workerId).toBe(held.workerId);
    await claimed.release();
  });

  it("treats another host's lock as held while it is touched, and as stale after a minute", async () => {
    const dirs = dirsOf('hosts');
    const id = slotWorkerId(dirs.dataDir, 0);
    const lock = join(dirs.dataDir, 'sync-workers', `${id}.lock`);
    await mkdir(join(dirs.dataDir, 'sync-workers'), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'another-host' }));
    const beside = await claimWorkerId(dirs);
    expect(beside.workerId).not.toBe(id);
    await beside.release();
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const taken = await claimWorkerId(dirs);
    expect(taken.workerId).toBe(id);
    await taken.release();
  });
});
