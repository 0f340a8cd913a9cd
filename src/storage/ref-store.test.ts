import { expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { openDatabase } from './open-database.js';
import { RefStore } from './ref-store.js';
import { RepositoryStore } from './repository-store.js';
import { describeEachDialect } from '../../tests/support/dialects.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const ZERO = '0'.repeat(40);

describeEachDialect('refs', (getDb) => {
  let counter = 0;
  async function setup() {
    const { db, capabilities } = getDb().database;
    const repos = new RepositoryStore(db, capabilities);
    const repo = await repos.create({ path: `/projects/refs-${++counter}`, kind: 'hosted' });
    return { repos, refs: new RefStore(db, capabilities), repo };
  }

  it('creates, swaps and deletes with compare-and-swap', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: A }]);
    expect(await refs.get(repo.id, 'refs/heads/main')).toBe(A);
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: B }]);
    await expect(
      refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: C }]),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: 'ref_conflict',
    });
    await expect(
      refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: C }]),
    ).rejects.toMatchObject({
      code: 'ref_conflict',
    });
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: B, newId: ZERO }]);
    expect(await refs.get(repo.id, 'refs/heads/main')).toBeUndefined();
    await expect(
      refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: B, newId: ZERO }]),
    ).rejects.toMatchObject({
      code: 'ref_conflict',
    });
  });

  it('applies a multi-ref transaction entirely or not at all', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [
      { name: 'refs/heads/main', oldId: ZERO, newId: A },
      { name: 'refs/tags/v1', oldId: ZERO, newId: B },
    ]);
    await expect(
      refs.updateAtomic(repo.id, [
        { name: 'refs/heads/main', oldId: A, newId: C },
        { name: 'refs/heads/topic', oldId: ZERO, newId: C },
        { name: 'refs/tags/v1', oldId: A, newId: C },
      ]),
    ).rejects.toMatchObject({ code: 'ref_conflict', details: { ref: 'refs/tags/v1' } });
    expect(await refs.list(repo.id)).toEqual([
      { name: 'refs/heads/main', target: A },
      { name: 'refs/tags/v1', target: B },
    ]);
    expect(await refs.list(repo.id, 'refs/tags/')).toEqual([{ name: 'refs/tags/v1', target: B }]);
  });

  it('reports per ref in non-atomic mode', async () => {
    const { refs, repo } = await setup();
    const outcomes = await refs.updateEach(repo.id, [
      { name: 'refs/heads/a', oldId: ZERO, newId: A },
      { name: 'refs/heads/b', oldId: B, newId: A },
    ]);
    expect(outcomes[0]?.error).toBeUndefined();
    expect(outcomes[1]?.error?.code).toBe('ref_conflict');
    expect(await refs.get(repo.id, 'refs/heads/a')).toBe(A);
  });

  it('lets exactly one of many racing updates of one ref win', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: A }]);
    const targets = ['1', '2', '3', '4', '5', '6'].map((digit) => digit.repeat(40));
    const results = await Promise.allSettled(
      targets.map((target) =>
        refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: target }]),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(isMegaError(result.reason, 'conflict')).toBe(true);
    }
    expect(targets).toContain(await refs.get(repo.id, 'refs/heads/main'));
  });

  it('lets exactly one win when the racers use separate connections (two processes)', async () => {
    const { refs, repo } = await setup();
    const other = openDatabase(getDb().url);
    try {
      const otherRefs = new RefStore(other.db, other.capabilities);
      await refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: A }]);
      const results = await Promise.allSettled([
        refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: B }]),
        otherRefs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: C }]),
        refs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: C }]),
        otherRefs.updateAtomic(repo.id, [{ name: 'refs/heads/main', oldId: A, newId: B }]),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ kind: 'conflict' });
      }
    } finally {
      await other.close();
    }
  });

  it('lets exactly one of racing creations win', async () => {
    const { refs, repo } = await setup();
    const results = await Promise.allSettled(
      [A, B, C].map((id) => refs.updateAtomic(repo.id, [{ name: 'refs/heads/new', oldId: ZERO, newId: id }])),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('keeps refs of different repositories apart, and names case-sensitive', async () => {
    const first = await setup();
    const second = await setup();
    await first.refs.updateAtomic(first.repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: A }]);
    await first.refs.updateAtomic(first.repo.id, [{ name: 'refs/heads/Main', oldId: ZERO, newId: B }]);
    await second.refs.updateAtomic(second.repo.id, [{ name: 'refs/heads/main', oldId: ZERO, newId: C }]);
    expect(await first.refs.get(first.repo.id, 'refs/heads/main')).toBe(A);
    expect(await first.refs.get(first.repo.id, 'refs/heads/Main')).toBe(B);
    expect(await second.refs.get(second.repo.id, 'refs/heads/main')).toBe(C);
  });

  it('refuses hostile ref names and ids', async () => {
    const { refs, repo } = await setup();
    for (const name of [
      'HEAD',
      'refs/heads/../x',
      'refs/heads/a b',
      'refs/heads/x.lock',
      'refs/heads/',
      'refs//x',
      'refs/heads/@{1}',
      `refs/heads/${'x'.repeat(600)}`,
      'refs/heads/\u0000',
    ]) {
      await expect(refs.updateAtomic(repo.id, [{ name, oldId: ZERO, newId: A }])).rejects.toMatchObject({
        code: 'invalid_ref_name',
      });
    }
    for (const id of ['xyz', 'A'.repeat(39), `${'a'.repeat(40)}'; drop table refs; --`]) {
      await expect(
        refs.updateAtomic(repo.id, [{ name: 'refs/heads/ok', oldId: ZERO, newId: id }]),
      ).rejects.toMatchObject({
        code: 'invalid_object_id',
      });
    }
  });

  it('refuses the same ref twice in one transaction, and accepts an empty one', async () => {
    const { refs, repo } = await setup();
    await expect(
      refs.updateAtomic(repo.id, [
        { name: 'refs/heads/x', oldId: ZERO, newId: A },
        { name: 'refs/heads/x', oldId: ZERO, newId: B },
      ]),
    ).rejects.toMatchObject({ code: 'duplicate_ref_update' });
    await refs.updateAtomic(repo.id, []);
    expect(await refs.list(repo.id)).toEqual([]);
  });

  it('forces an update when no old value is given', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/f', newId: A }]);
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/f', newId: B }]);
    expect(await refs.get(repo.id, 'refs/heads/f')).toBe(B);
  });

  it('stores the symbolic HEAD on the repository', async () => {
    const { repos, repo } = await setup();
    expect(repo.headRef).toBe('refs/heads/main');
    await repos.setHead(repo.id, 'refs/heads/trunk');
    expect((await repos.require(repo.path)).headRef).toBe('refs/heads/trunk');
    await expect(repos.setHead(repo.id, 'trunk')).rejects.toMatchObject({ code: 'invalid_ref_name' });
  });
  it('refuses a ref that would be file and folder of a stored one, as git does', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/a/b', oldId: ZERO, newId: A }]);
    await expect(
      refs.updateAtomic(repo.id, [{ name: 'refs/heads/a', oldId: ZERO, newId: B }]),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: 'ref_name_conflict',
      message: "cannot lock ref 'refs/heads/a': 'refs/heads/a/b' exists",
    });
    await refs.updateAtomic(repo.id, [{ name: 'refs/tags/x', oldId: ZERO, newId: A }]);
    await expect(refs.updateAtomic(repo.id, [{ name: 'refs/tags/x/y/z', newId: B }])).rejects.toMatchObject({
      message: "cannot lock ref 'refs/tags/x/y/z': 'refs/tags/x' exists",
    });
    // Names that only share a prefix are no conflict; neither is an update of the ref itself.
    await refs.updateAtomic(repo.id, [
      { name: 'refs/heads/a-b', oldId: ZERO, newId: A },
      { name: 'refs/heads/a.b', oldId: ZERO, newId: A },
      { name: 'refs/heads/ab', oldId: ZERO, newId: A },
      { name: 'refs/tags/xy', oldId: ZERO, newId: A },
      { name: 'refs/heads/a/b', oldId: A, newId: B },
    ]);
    const outcomes = await refs.updateEach(repo.id, [
      { name: 'refs/heads/c', oldId: ZERO, newId: A },
      { name: 'refs/heads/c/d', oldId: ZERO, newId: A },
    ]);
    expect(outcomes.map((outcome) => outcome.error?.message)).toEqual([
      undefined,
      "cannot lock ref 'refs/heads/c/d': 'refs/heads/c' exists",
    ]);
  });

  it('refuses file and folder created in one update, and allows replacing one by the other', async () => {
    const { refs, repo } = await setup();
    await expect(
      refs.updateAtomic(repo.id, [
        { name: 'refs/heads/e/f', oldId: ZERO, newId: A },
        { name: 'refs/heads/e', oldId: ZERO, newId: A },
        { name: 'refs/heads/z', oldId: ZERO, newId: A },
      ]),
    ).rejects.toMatchObject({
      code: 'ref_name_conflict',
      message:
        "cannot lock ref 'refs/heads/e': cannot process 'refs/heads/e' and 'refs/heads/e/f' at the same time",
    });
    expect(await refs.list(repo.id)).toEqual([]);
    await refs.updateAtomic(repo.id, [{ name: 'refs/heads/e/f', oldId: ZERO, newId: A }]);
    // Deleting the folder's only ref in the same transaction makes room for the file, as in git.
    await refs.updateAtomic(repo.id, [
      { name: 'refs/heads/e', oldId: ZERO, newId: B },
      { name: 'refs/heads/e/f', oldId: A, newId: ZERO },
    ]);
    expect(await refs.list(repo.id)).toEqual([{ name: 'refs/heads/e', target: B }]);
  });

  it('checks many new refs against the names read once (a mirror push of many tags)', async () => {
    const { refs, repo } = await setup();
    await refs.updateAtomic(repo.id, [
      { name: 'refs/tags/m/n', oldId: ZERO, newId: A },
      { name: 'refs/tags/p', oldId: ZERO, newId: A },
    ]);
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `refs/tags/t${i}`, oldId: ZERO, newId: B }));
    await expect(
      refs.updateAtomic(repo.id, [...many, { name: 'refs/tags/m', oldId: ZERO, newId: B }]),
    ).rejects.toMatchObject({ message: "cannot lock ref 'refs/tags/m': 'refs/tags/m/n' exists" });
    await expect(
      refs.updateAtomic(repo.id, [...many, { name: 'refs/tags/p/q', oldId: ZERO, newId: B }]),
    ).rejects.toMatchObject({ message: "cannot lock ref 'refs/tags/p/q': 'refs/tags/p' exists" });
    const outcomes = await refs.updateEach(repo.id, [
      { name: 'refs/tags/m', oldId: ZERO, newId: B },
      ...many,
      { name: 'refs/tags/t1/x', oldId: ZERO, newId: B },
    ]);
    expect(outcomes).toHaveLength(42);
    expect(outcomes[0]?.error?.message).toBe("cannot lock ref 'refs/tags/m': 'refs/tags/m/n' exists");
    expect(outcomes[41]?.error?.message).toBe("cannot lock ref 'refs/tags/t1/x': 'refs/tags/t1' exists");
    expect(outcomes.slice(1, 41).every((outcome) => outcome.error === undefined)).toBe(true);
    expect(await refs.list(repo.id, 'refs/tags/')).toHaveLength(42);
  });

  it('lets only one of racing file and folder creations win, on separate connections', async () => {
    const { refs, repo } = await setup();
    const other = openDatabase(getDb().url);
    try {
      const otherRefs = new RefStore(other.db, other.capabilities);
      for (let round = 0; round < 4; round++) {
        const base = `refs/heads/race${round}`;
        const results = await Promise.allSettled([
          refs.updateAtomic(repo.id, [{ name: base, oldId: ZERO, newId: A }]),
          otherRefs.updateAtomic(repo.id, [{ name: `${base}/x`, oldId: ZERO, newId: B }]),
          otherRefs.updateAtomic(repo.id, [{ name: `${base}/y/z`, oldId: ZERO, newId: C }]),
        ]);
        const names = (await refs.list(repo.id, `${base}`)).map((ref) => ref.name);
        const won = results.filter((result) => result.status === 'fulfilled').length;
        // Either the file or the folder's refs, never both.
        expect(names.includes(base) && names.length > 1).toBe(false);
        expect(names).toHaveLength(won);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toMatchObject({ kind: 'conflict' });
        }
      }
    } finally {
      await other.close();
    }
  });

  it('leaves a caller transaction usable after refusing a ref', async () => {
    const { repo } = await setup();
    const { db, capabilities } = getDb().database;
    await db.transaction().execute(async (trx) => {
      const refs = new RefStore(trx, capabilities);
      await refs.updateAtomic(repo.id, [{ name: 'refs/heads/t/u', oldId: ZERO, newId: A }]);
      const outcomes = await refs.updateEach(repo.id, [
        { name: 'refs/heads/t', oldId: ZERO, newId: A },
        { name: 'refs/heads/t/u', oldId: ZERO, newId: B },
        { name: 'refs/heads/v', oldId: ZERO, newId: C },
      ]);
      expect(outcomes.map((outcome) => outcome.error?.code)).toEqual([
        'ref_name_conflict',
        'ref_conflict',
        undefined,
      ]);
    });
    expect(await new RefStore(db, capabilities).list(repo.id)).toEqual([
      { name: 'refs/heads/t/u', target: A },
      { name: 'refs/heads/v', target: C },
    ]);
  });
});
