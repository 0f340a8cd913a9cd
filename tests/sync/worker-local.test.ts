import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import {
  addRepo,
  headOf,
  makeUpstream,
  startHarness,
  syncAndWait as syncOnHarness,
  type Harness,
} from './support/sync-harness.js';
import { parseCopyName } from '../../src/sync/copy-paths.js';

describe('sync worker over file://', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  /** Operator 7 so the log row's operator_id is checked against something other than the default. */
  const syncAndWait = (repoId: number) => syncOnHarness(h, repoId, 7);

  it('makes a new copy per sync that follows the remote, even after a force-push', async () => {
    const upstream = await makeUpstream(h.dir, 3);
    const repoId = await addRepo(h, {
      name: 'force',
      url: `file://${upstream}`,
      is_public: true,
    });
    const first = await syncAndWait(repoId);
    expect(first).toMatchObject({
      status: 'success',
      task_type: 'manual',
      operator_id: 7,
      from_commit: null,
      attempts: 1,
    });
    expect(first.to_commit).toBe(await headOf(upstream));
    const copyName = first.local_path!.split('/').pop()!;
    expect(parseCopyName(copyName)?.workerId).toBe(h.runtime.worker?.workerId);
    expect(first.local_path).toBe(
      join(h.config.sync.repoBaseDir, String(h.tenantId), String(repoId), copyName),
    );
    expect((await stat(first.local_path!)).mode & 0o777).toBe(0o755);

    // Rewrite history upstream: the next copy must equal the new branch exactly.
    await git(['-C', upstream, 'reset', '-q', '--hard', 'HEAD~2']);
    await writeFile(join(upstream, 'file.txt'), 'rewritten\n');
    await git(['-C', upstream, 'commit', '-q', '-am', 'rewritten']);
    const second = await syncAndWait(repoId);
    expect(second.status).toBe('success');
    expect(second.from_commit).toBe(first.to_commit);
    expect(second.to_commit).toBe(await headOf(upstream));
    expect(second.local_path).not.toBe(first.local_path);
    expect(await headOf(second.local_path!)).toBe(await headOf(upstream));
    expect((await git(['-C', second.local_path!, 'status', '--porcelain'])).stdout.toString()).toBe('');
    expect(await readdir(join(h.config.sync.repoBaseDir, String(h.tenantId), String(repoId)))).toHaveLength(
      2,
    );

    // The copy's origin is the real remote, and the copy does not depend on the cache.
    expect(
      (await git(['-C', second.local_path!, 'remote', 'get-url', 'origin'])).stdout.toString().trim(),
    ).toBe(`file://${upstream}`);
  });

  it('fails a missing branch as ref_not_found without retrying, and leaves no copy', async () => {
    const upstream = await makeUpstream(h.dir, 1);
    const repoId = await addRepo(h, {
      name: 'nobranch',
      url: `file://${upstream}`,
      branch: 'does-not-exist',
      is_public: true,
    });
    const log = await syncAndWait(repoId);
    expect(log).toMatchObject({
      status: 'failed',
      error_class: 'ref_not_found',
      attempts: 1,
      local_path: null,
    });
    expect(log.command_output).toContain('$ git clone');
    const entries = await readdir(join(h.config.sync.repoBaseDir, String(h.tenantId), String(repoId))).catch(
      () => [],
    );
    expect(entries).toEqual([]);
  });

  it('fails a missing repository as not_found without retrying', async () => {
    const repoId = await addRepo(h, {
      name: 'missing',
      url: `file://${h.dir}/nope.git`,
      is_public: true,
    });
    const log = await syncAndWait(repoId);
    expect(log).toMatchObject({ status: 'failed', error_class: 'not_found', attempts: 1 });
  });

  it('syncs several branches, shallow when asked', async () => {
    const upstream = await makeUpstream(h.dir, 4);
    await git(['-C', upstream, 'branch', 'release']);
    const repoId = await addRepo(h, {
      name: 'multi',
      url: `file://${upstream}`,
      branches: ['release'],
      is_public: true,
      depth: 1,
    });
    const log = await syncAndWait(repoId);
    expect(log.status).toBe('success');
    const refs = (await git(['-C', log.local_path!, 'branch', '-r'])).stdout.toString();
    expect(refs).toContain('origin/release');
    expect((await git(['-C', log.local_path!, 'rev-list', '--count', 'HEAD'])).stdout.toString().trim()).toBe(
      '1',
    );
  });

  it('clones partially with a filter', async () => {
    const upstream = await makeUpstream(h.dir, 3);
    await git(['-C', upstream, 'config', 'uploadpack.allowFilter', 'true']);
    const repoId = await addRepo(h, {
      name: 'partial',
      url: `file://${upstream}`,
      is_public: true,
      filter: 'blob:none',
    });
    const log = await syncAndWait(repoId);
    expect(log.status).toBe('success');
    expect(
      (await git(['-C', log.local_path!, 'config', 'remote.origin.partialclonefilter'])).stdout
        .toString()
        .trim(),
    ).toBe('blob:none');
  });

  it('removes every copy on delete', async () => {
    const upstream = await makeUpstream(h.dir, 1);
    const repoId = await addRepo(h, {
      name: 'todelete',
      url: `file://${upstream}`,
      is_public: true,
    });
    await syncAndWait(repoId);
    await syncAndWait(repoId);
    const repoDir = join(h.config.sync.repoBaseDir, String(h.tenantId), String(repoId));
    expect(await readdir(repoDir)).toHaveLength(2);
    const requestId = await h.runtime.service.deleteRepository(h.tenantId, repoId, 7);
    await h.runtime.worker?.idle();
    await expect(stat(repoDir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await h.runtime.service.requestStatus(requestId)).toEqual([
      { worker_id: h.runtime.worker?.workerId, status: 'success' },
    ]);
  });
});
