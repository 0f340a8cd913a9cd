import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { headOf, makeUpstream, startHarness, type Harness } from './support/sync-harness.js';
import { parseCopyName } from '../../src/sync/copy-paths.js';

describe('sync worker over file://', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const syncAndWait = async (repoId: number) => {
    const requestId = await h.runtime.service.trigger(h.tenantId, repoId, {
      taskType: 'manual',
      operatorId: 7,
    });
    await h.runtime.worker?.idle();
    const [log] = await h.runtime.service.listLogs(
      { tenantId: h.tenantId, repositoryId: repoId },
      { limit: 1 },
    );
    expect(log?.request_id).toBe(requestId);
    return log!;
  };

  it('makes a new copy per sync that follows the remote, even after a force-push', async () => {
    const upstream = await makeUpstream(h.dir, 3);
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'force',
      url: `file://${upstream}`,
      branch: 'main',
      branches: [],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: null,
      filter: null,
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    const first = await syncAndWait(repo.id);
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
      join(h.config.sync.repoBaseDir, String(h.tenantId), String(repo.id), copyName),
    );
    expect((await stat(first.local_path!)).mode & 0o777).toBe(0o755);

    // Rewrite history upstream: the next copy must equal the new branch exactly.
    await git(['-C', upstream, 'reset', '-q', '--hard', 'HEAD~2']);
    await writeFile(join(upstream, 'file.txt'), 'rewritten\n');
    await git(['-C', upstream, 'commit', '-q', '-am', 'rewritten']);
    const second = await syncAndWait(repo.id);
    expect(second.status).toBe('success');
    expect(second.from_commit).toBe(first.to_commit);
    expect(second.to_commit).toBe(await headOf(upstream));
    expect(second.local_path).not.toBe(first.local_path);
    expect(await headOf(second.local_path!)).toBe(await headOf(upstream));
    expect((await git(['-C', second.local_path!, 'status', '--porcelain'])).stdout.toString()).toBe('');
    expect(await readdir(join(h.config.sync.repoBaseDir, String(h.tenantId), String(repo.id)))).toHaveLength(
      2,
    );

    // The copy's origin is the real remote, and the copy does not depend on the cache.
    expect(
      (await git(['-C', second.local_path!, 'remote', 'get-url', 'origin'])).stdout.toString().trim(),
    ).toBe(`file://${upstream}`);
  });

  it('fails a missing branch as ref_not_found without retrying, and leaves no copy', async () => {
    const upstream = await makeUpstream(h.dir, 1);
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'nobranch',
      url: `file://${upstream}`,
      branch: 'does-not-exist',
      branches: [],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: null,
      filter: null,
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    const log = await syncAndWait(repo.id);
    expect(log).toMatchObject({
      status: 'failed',
      error_class: 'ref_not_found',
      attempts: 1,
      local_path: null,
    });
    expect(log.command_output).toContain('$ git clone');
    const entries = await readdir(join(h.config.sync.repoBaseDir, String(h.tenantId), String(repo.id))).catch(
      () => [],
    );
    expect(entries).toEqual([]);
  });

  it('fails a missing repository as not_found without retrying', async () => {
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'missing',
      url: `file://${h.dir}/nope.git`,
      branch: 'main',
      branches: [],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: null,
      filter: null,
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    const log = await syncAndWait(repo.id);
    expect(log).toMatchObject({ status: 'failed', error_class: 'not_found', attempts: 1 });
  });

  it('syncs several branches, shallow when asked', async () => {
    const upstream = await makeUpstream(h.dir, 4);
    await git(['-C', upstream, 'branch', 'release']);
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'multi',
      url: `file://${upstream}`,
      branch: 'main',
      branches: ['release'],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: 1,
      filter: null,
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    const log = await syncAndWait(repo.id);
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
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'partial',
      url: `file://${upstream}`,
      branch: 'main',
      branches: [],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: null,
      filter: 'blob:none',
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    const log = await syncAndWait(repo.id);
    expect(log.status).toBe('success');
    expect(
      (await git(['-C', log.local_path!, 'config', 'remote.origin.partialclonefilter'])).stdout
        .toString()
        .trim(),
    ).toBe('blob:none');
  });

  it('removes every copy on delete', async () => {
    const upstream = await makeUpstream(h.dir, 1);
    const repo = await h.runtime.service.createRepository(h.tenantId, {
      name: 'todelete',
      url: `file://${upstream}`,
      branch: 'main',
      branches: [],
      is_public: true,
      credential_id: null,
      schedule: null,
      depth: null,
      filter: null,
      lfs: false,
      submodules: false,
      strict_host_key: true,
      mirror_to: null,
    });
    await syncAndWait(repo.id);
    await syncAndWait(repo.id);
    const repoDir = join(h.config.sync.repoBaseDir, String(h.tenantId), String(repo.id));
    expect(await readdir(repoDir)).toHaveLength(2);
    const requestId = await h.runtime.service.deleteRepository(h.tenantId, repo.id, 7);
    await h.runtime.worker?.idle();
    await expect(stat(repoDir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await h.runtime.service.requestStatus(requestId)).toEqual([
      { worker_id: h.runtime.worker?.workerId, status: 'success' },
    ]);
  });
});
