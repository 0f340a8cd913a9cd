import { mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';
import { cleanupOldCopies } from '../../src/sync/copy-cleanup.js';
import { CopyLayout } from '../../src/sync/copy-paths.js';
import { GitRunner } from '../../src/sync/git-runner.js';
import { SyncScheduler } from '../../src/sync/sync-scheduler.js';
import { SyncConfigStore } from '../../src/storage/sync/sync-config-store.js';
import { SyncLeaseStore } from '../../src/storage/sync/sync-lease-store.js';
import { createLogger } from '../../src/platform/logger.js';
import { addRepo, startHarness, type Harness } from './support/sync-harness.js';

const DAY = 86_400;
const ME = 'worker-host-0000aaaa';
const OTHER = 'worker-host-0000bbbb';

describe('cleanup of old copies', () => {
  let temp: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    temp = await makeTempDir('mega-sync-clean-');
  });
  afterAll(async () => temp?.remove());

  it('removes own copies older than keepDays by the name, never the newest, never others', async () => {
    const layout = new CopyLayout(temp.path);
    const now = 1_800_000_000;
    const repoDir = join(temp.path, '1', '2');
    const names = [
      `${ME}_${now - 30 * DAY}_aaaaaa`, // old: removed
      `${ME}_${now - 10 * DAY}_bbbbbb`, // old: removed
      `${ME}_${now - 1 * DAY}_cccccc`, // recent: kept
      `${OTHER}_${now - 30 * DAY}_dddddd`, // another worker's: kept
      'not-a-copy', // unknown: kept
    ];
    for (const name of names) await mkdir(join(repoDir, name), { recursive: true });
    // A repository whose only copies are all old keeps its newest one.
    const lonely = join(temp.path, '1', '3');
    for (const name of [`${ME}_${now - 40 * DAY}_eeeeee`, `${ME}_${now - 20 * DAY}_ffffff`])
      await mkdir(join(lonely, name), { recursive: true });
    const removed = await cleanupOldCopies({ layout, workerId: ME, keepDays: 7, now: new Date(now * 1000) });
    expect(removed.sort()).toEqual(
      [
        join(repoDir, names[0] as string),
        join(repoDir, names[1] as string),
        join(lonely, `${ME}_${now - 40 * DAY}_eeeeee`),
      ].sort(),
    );
    expect((await readdir(repoDir)).sort()).toEqual([names[2], names[3], names[4]].sort());
    expect(await readdir(lonely)).toEqual([`${ME}_${now - 20 * DAY}_ffffff`]);
    // A repository being synced is left alone.
    await mkdir(join(lonely, `${ME}_${now - 19 * DAY}_gggggg`));
    expect(
      await cleanupOldCopies({
        layout,
        workerId: ME,
        keepDays: 7,
        now: new Date(now * 1000),
        busy: new Set(['1/3']),
      }),
    ).toEqual([]);
  });
});

describe('git runner', () => {
  const runner = new GitRunner({ timeoutMs: 10_000 });
  it('refuses values that git could read as options', async () => {
    for (const value of ['-c', '--upload-pack=touch /tmp/pwned', 'a\nb', '']) {
      await expect(runner.run(['ls-remote'], [value])).rejects.toMatchObject({ code: 'git_argument_unsafe' });
    }
  });
  it('runs with an isolated environment and stops on abort', async () => {
    const result = await runner.run(['config', '--list', '--show-origin'], [], { cwd: tmpdir() });
    expect(result.stdout).not.toContain('file:');
    expect(result.stdout).toContain('credential.helper=');
    const controller = new AbortController();
    const pending = runner.run(['hash-object', '--stdin'], [], { signal: controller.signal });
    controller.abort();
    expect((await pending).aborted).toBe(true);
  });
});

describe('scheduler across instances', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('fires each slot once across several schedulers and publishes a scheduled sync', async () => {
    const repoId = await addRepo(h, {
      name: 'sched',
      url: 'https://example.com/s.git',
      schedule: '@every 1h',
    });
    const fired: number[] = [];
    const schedulers = ['a', 'b', 'c'].map(
      (holder) =>
        new SyncScheduler({
          configStore: new SyncConfigStore(h.database.db, h.database.capabilities),
          leaseStore: new SyncLeaseStore(h.database.db, h.database.capabilities),
          trigger: async (_tenant, id) => {
            fired.push(id);
            return h.runtime.service.trigger(h.tenantId, id, { taskType: 'scheduled', operatorId: null });
          },
          logger: createLogger({ level: 'silent' }),
          holderId: holder,
          refreshIntervalMs: 60_000,
        }),
    );
    for (const scheduler of schedulers) await scheduler.refresh();
    expect(schedulers.map((s) => s.scheduledCount())).toEqual([1, 1, 1]);
    const slot = new Date('2026-01-01T10:00:00.000Z');
    const wins = await Promise.all(schedulers.map((s) => s.fire(h.tenantId, repoId, slot)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(fired).toEqual([repoId]);
    await h.runtime.worker?.idle();
    const [log] = await h.runtime.service.listLogs(
      { tenantId: h.tenantId, repositoryId: repoId },
      { limit: 1 },
    );
    expect(log?.task_type).toBe('scheduled');
    for (const scheduler of schedulers) scheduler.stop();
  });
});
