import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { runMega } from '../support/mega-process.js';
import { startHttpFixture, type HttpFixture } from './http-fixture.js';
import { makeFileHistory } from '../support/git-fixtures.js';

/**
 * An administrator's repository operations against a real `mega serve`: repairing repositories
 * half-created by older versions (at start-up and with `mega repo repair`), changing the default
 * branch and deleting a repository with its b-link, from the CLI and the REST API.
 */
describe('repository administration', () => {
  let fx: HttpFixture;
  let src: string;
  let dataDir: string;
  let adminToken: string;

  beforeAll(async () => {
    fx = await startHttpFixture();
    dataDir = join(fx.work, 'data');
    src = join(fx.work, 'src');
    await makeFileHistory(src, 2);
    await git(['-C', src, 'branch', 'dev']);
    const created = await runMega(['token', 'create', 'root', '--admin', '--data', dataDir]);
    adminToken = created.stdout.trim().split('\n').pop() ?? '';
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const push = (path: string, ...refs: string[]) =>
    fx.git(2, ['-C', src, 'push', fx.url(path), ...refs], { check: false });
  const mega = (...args: string[]) => runMega([...args, '--data', dataDir]);
  const headOf = async (path: string) =>
    (await fx.anonymous(2, ['ls-remote', '--symref', fx.url(path), 'HEAD'])).stdout.toString().split('\t')[0];
  const request = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(fx.url(path), {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  /** A repository row without refs or b-link, inserted the way older versions left them. */
  function insertHalfCreated(path: string): void {
    const db = new Database(join(dataDir, 'mega.db'));
    try {
      const now = new Date().toISOString();
      db.prepare(
        `insert into repositories (path, kind, head_ref, object_format, description, created_at, updated_at)
         values (?, ?, 'refs/heads/main', 'sha1', null, ?, ?)`,
      ).run(path, path.startsWith('/import/') ? 'import' : 'hosted', now, now);
    } finally {
      db.close();
    }
  }

  it('mega repo repair makes a half-created repository path usable again', async () => {
    insertHalfCreated('/import/squatted');
    const blocked = await push('/import/squatted', 'main');
    expect(blocked.stderr).toContain('exists but is not linked into the Mega directory');
    const repaired = await mega('repo', 'repair');
    expect(repaired.stdout).toContain('removed half-created repository /import/squatted');
    expect((await mega('repo', 'repair')).stdout).toContain('nothing to repair');
    const ok = await push('/import/squatted', 'main');
    expect(ok.code, ok.stderr).toBe(0);
    await fx.anonymous(2, ['clone', '-q', fx.url('/import/squatted'), join(fx.work, 'squatted')]);
  });

  it('mega serve repairs half-created repositories at start-up', async () => {
    insertHalfCreated('/projects/squatted');
    expect((await push('/projects/squatted', 'main')).code).not.toBe(0);
    await fx.restart();
    const ok = await push('/projects/squatted', 'main');
    expect(ok.code, ok.stderr).toBe(0);
    await fx.anonymous(2, ['clone', '-q', fx.url('/projects/squatted'), join(fx.work, 'squatted-view')]);
  });

  it('mega repo set-head changes the default branch, which only an existing branch can be', async () => {
    expect((await push('/import/heads', 'main', 'dev')).code).toBe(0);
    expect(await headOf('/import/heads')).toBe('ref: refs/heads/main');
    const changed = await mega('repo', 'set-head', '/import/heads', 'dev');
    expect(changed.stdout).toContain('/import/heads HEAD is now refs/heads/dev');
    expect(await headOf('/import/heads')).toBe('ref: refs/heads/dev');
    const missing = await mega('repo', 'set-head', '/import/heads', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('has no branch nope');
    // The protection follows HEAD: dev cannot be deleted now, main can.
    expect((await push('/import/heads', ':dev')).stderr).toContain(
      'deleting the default branch is not allowed',
    );
    expect((await push('/import/heads', ':main')).code).toBe(0);
  });

  it('mega repo delete removes the repository and its b-link; the path can be pushed again', async () => {
    expect((await push('/projects/doomed', 'main')).code).toBe(0);
    const deleted = await mega('repo', 'delete', '/projects/doomed');
    expect(deleted.stdout, deleted.stderr).toContain('deleted /projects/doomed and its b-link');
    expect(
      (await fx.anonymous(2, ['ls-remote', fx.url('/projects/doomed')], { check: false })).code,
    ).not.toBe(0);
    const listing = (await (await request('GET', '/api/v1/directory?path=/projects')).json()) as {
      entries: Array<{ name: string }>;
    };
    expect(listing.entries.map((entry) => entry.name)).not.toContain('doomed');
    expect((await push('/projects/doomed', 'main')).code).toBe(0);
    expect((await mega('repo', 'delete', '/')).code).not.toBe(0);
  });

  it('REST: only an administrator changes the default branch or deletes a repository', async () => {
    expect((await push('/import/rest', 'main', 'dev')).code).toBe(0);
    const body = { repo: '/import/rest', branch: 'dev' };
    expect((await request('PUT', '/api/v1/repos/default-branch', undefined, body)).status).toBe(401);
    expect((await request('PUT', '/api/v1/repos/default-branch', fx.token, body)).status).toBe(403);
    const changed = await request('PUT', '/api/v1/repos/default-branch', adminToken, body);
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({ repo: '/import/rest', defaultBranch: 'dev' });
    expect(await headOf('/import/rest')).toBe('ref: refs/heads/dev');
    const missing = await request('PUT', '/api/v1/repos/default-branch', adminToken, {
      ...body,
      branch: 'x',
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('branch_not_found');
    const invalid = await request('PUT', '/api/v1/repos/default-branch', adminToken, {
      repo: '/import/rest',
    });
    expect(invalid.status).toBe(400);
    // Hostile names never reach a ref: traversal is just an unknown branch, oversize is refused.
    const traversal = await request('PUT', '/api/v1/repos/default-branch', adminToken, {
      ...body,
      branch: '../../config',
    });
    expect(traversal.status).toBe(404);
    const oversized = await request('PUT', '/api/v1/repos/default-branch', adminToken, {
      ...body,
      branch: 'x'.repeat(100_000),
    });
    expect(oversized.status).toBe(400);
    expect(await headOf('/import/rest')).toBe('ref: refs/heads/dev');

    expect((await request('DELETE', '/api/v1/repos?repo=/import/rest', fx.token)).status).toBe(403);
    const deleted = await request('DELETE', '/api/v1/repos?repo=/import/rest', adminToken);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ repo: '/import/rest', deleted: true, unlinked: true });
    expect((await request('DELETE', '/api/v1/repos?repo=/import/rest', adminToken)).status).toBe(404);
    expect((await fx.anonymous(2, ['ls-remote', fx.url('/import/rest')], { check: false })).code).not.toBe(0);
    const document = (await (await request('GET', '/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(document.paths['/api/v1/repos'] ?? {})).toContain('delete');
    expect(Object.keys(document.paths['/api/v1/repos/default-branch'] ?? {})).toContain('put');
  });
});
