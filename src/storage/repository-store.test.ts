import { expect, it } from 'vitest';
import { RepositoryStore } from './repository-store.js';
import { describeEachDialect } from './testing/dialects.js';

describeEachDialect('repositories', (getDb) => {
  const store = () => new RepositoryStore(getDb().database.db, getDb().database.capabilities);

  it('creates, finds, lists by prefix and deletes', async () => {
    const repos = store();
    const a = await repos.create({ path: '/projects/alpha', kind: 'hosted' });
    await repos.create({ path: '/projects/alpha-two', kind: 'hosted' });
    await repos.create({ path: '/projects/alpha/sub', kind: 'hosted' });
    await repos.create({ path: '/import/beta', kind: 'import' });
    expect(a).toMatchObject({ path: '/projects/alpha', kind: 'hosted', objectFormat: 'sha1' });
    expect((await repos.findById(a.id))?.path).toBe('/projects/alpha');
    expect((await repos.list({ prefix: '/projects/alpha' })).map((r) => r.path)).toEqual([
      '/projects/alpha',
      '/projects/alpha/sub',
    ]);
    expect((await repos.list({ kind: 'import' })).map((r) => r.path)).toEqual(['/import/beta']);
    await repos.delete(a.id);
    expect(await repos.find('/projects/alpha')).toBeUndefined();
  });

  it('refuses a taken path with a typed conflict', async () => {
    const repos = store();
    await repos.create({ path: '/projects/dup', kind: 'hosted' });
    await expect(repos.create({ path: '/projects/dup', kind: 'hosted' })).rejects.toMatchObject({
      kind: 'conflict',
      code: 'repository_exists',
    });
  });

  it('refuses hostile paths', async () => {
    const repos = store();
    for (const path of [
      '',
      'projects/x',
      '/projects/../etc',
      '/projects/./x',
      '/projects//x',
      '/projects/x/',
      '/projects/.git',
      '/a\\b',
      '/a b',
      '/x\u0000',
      `/${'a'.repeat(600)}`,
      '/projects/x.lock',
    ]) {
      await expect(repos.create({ path, kind: 'hosted' })).rejects.toMatchObject({
        code: 'invalid_repository_path',
      });
    }
    expect(await repos.require('/projects/..').catch((e: unknown) => e)).toMatchObject({ kind: 'not_found' });
    await expect(
      repos.create({ path: '/projects/long-text', kind: 'hosted', description: 'd'.repeat(20_000) }),
    ).rejects.toMatchObject({ code: 'invalid_description' });
    await expect(
      repos.create({ path: '/projects/bad-head', kind: 'hosted', headRef: 'main' }),
    ).rejects.toMatchObject({
      code: 'invalid_ref_name',
    });
  });
});
