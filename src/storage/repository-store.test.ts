import { expect, it } from 'vitest';
import { RefStore } from './ref-store.js';
import { isPending, RepositoryStore } from './repository-store.js';
import { describeEachDialect } from '../../tests/support/dialects.js';

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
  it('keeps a pending repository out of sight until it claims its path', async () => {
    const repos = store();
    const pending = await repos.createPending({ kind: 'import' });
    expect(isPending(pending)).toBe(true);
    expect((await repos.list()).map((r) => r.id)).not.toContain(pending.id);
    expect((await repos.listWithoutRefs()).map((r) => r.id)).not.toContain(pending.id);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await repos.listPending(later)).map((r) => r.id)).toContain(pending.id);
    expect(await repos.listPending('2000-01-01T00:00:00.000Z')).toEqual([]);
    const claimed = await repos.claim(pending.id, '/import/claimed');
    expect(claimed).toMatchObject({ id: pending.id, path: '/import/claimed', kind: 'import' });
    expect(isPending(claimed)).toBe(false);
    // Claimed once: neither again nor a path another repository has.
    await expect(repos.claim(pending.id, '/import/claimed-again')).rejects.toMatchObject({
      kind: 'not_found',
    });
    const other = await repos.createPending({ kind: 'import' });
    await expect(repos.claim(other.id, '/import/claimed')).rejects.toMatchObject({
      code: 'repository_exists',
    });
    await expect(repos.claim(other.id, '/import/../x')).rejects.toMatchObject({
      code: 'invalid_repository_path',
    });
    await repos.delete(other.id);
    expect((await repos.listPending(later)).map((r) => r.id)).not.toContain(other.id);
  });

  it('lists the repositories that have no ref', async () => {
    const { db, capabilities } = getDb().database;
    const repos = store();
    const empty = await repos.create({ path: '/import/no-refs', kind: 'import' });
    const full = await repos.create({ path: '/import/with-refs', kind: 'import' });
    await new RefStore(db, capabilities).updateAtomic(full.id, [
      { name: 'refs/heads/main', oldId: '0'.repeat(40), newId: 'a'.repeat(40) },
    ]);
    const paths = (await repos.listWithoutRefs()).map((r) => r.path);
    expect(paths).toContain(empty.path);
    expect(paths).not.toContain(full.path);
  });
});
