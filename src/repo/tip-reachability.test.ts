import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  makeBranchyFirstPush,
  revListObjects,
  ROOMY_PACK_LIMITS,
  ZERO_ID,
  type BranchyFirstPush,
} from '../../tests/support/branchy-first-push.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { chunked, commitFile, packOf } from '../../tests/support/git-fixtures.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import type { ObjectId } from '../git/object-id.js';
import type { Storage } from '../storage/storage.js';
import { cloneWalkKey, fullCloneWalk, likelyCloneWants, recordLikelyCloneWalks } from './clone-walk.js';
import { EVERY_PATH, type RefUpdateRequest, type ServedRepository } from './served-repository.js';
import { createStoredRepositoryResolver } from './stored-repositories.js';

let work: BranchyFirstPush['work'];
let source: string;
let pack: Buffer;
let creates: RefUpdateRequest[];

beforeAll(async () => {
  ({ work, source, pack, creates } = await makeBranchyFirstPush('mega-tip-bitmaps-'));
});
afterAll(async () => {
  await work.remove();
});

const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();

/**
 * Per-tip bitmaps over the recorded walk of every ref, built from a first push's graph: the walk
 * of any set of ref tips is exactly what `rev-list --objects` lists of them, in the record's order.
 */
describeEachDialect('ref tip bitmaps over a recorded walk', (getDb, dialect) => {
  let storage: Storage;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 1 << 20);
  });
  const resolve = (path: string) =>
    createStoredRepositoryResolver(storage, { kindOf: () => 'import' }).resolve(path, 'write', EVERY_PATH);

  async function pushed(path: string): Promise<ServedRepository> {
    const repository = await resolve(path);
    await repository.receivePack({ chunks: chunked(pack), endsAt: 'input' }, ROOMY_PACK_LIMITS);
    const results = await repository.updateRefs(creates, { atomic: true });
    expect([...results.values()].filter(Boolean)).toEqual([]);
    return repository;
  }

  const tip = (name: string) => creates.find((update) => update.refName === name)!.newId;

  it('answers every tip and sets of tips with exactly their closure, in record order', async () => {
    const repository = await pushed(`/import/tips-${dialect}`);
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    const walks = repository.cloneWalks!;
    const [every] = await likelyCloneWants(repository);
    const record = (await walks.find(cloneWalkKey(every!, undefined)))!.map((object) => object.id);
    const recordOrder = new Map(record.map((id, index) => [id, index]));

    // Every kind of ref: branches, a lightweight tag, tags of tags, of a tree, of a blob, a ref
    // naming a tree or a blob directly, a commit only a custom ref reaches.
    for (const { refName, newId } of creates) {
      const reached = await walks.reachableFrom!([newId]);
      expect(sorted(reached?.map((object) => object.id)), refName).toEqual(
        await revListObjects(source, [newId]),
      );
      // The record's order, every entry once, with the record's hints.
      const positions = reached!.map((object) => recordOrder.get(object.id)!);
      expect(
        positions.every((at, i) => i === 0 || at > positions[i - 1]!),
        refName,
      ).toBe(true);
      expect(reached!.every((object) => object.hint !== undefined)).toBe(true);
    }
    const sets = [
      ['refs/heads/side', 'refs/tags/v1'],
      ['refs/heads/topic', 'refs/tags/tree-tag', 'refs/blobs/side'],
      ['refs/tags/v1-outer', 'refs/tags/v1', 'refs/tags/v0'],
    ];
    for (const names of sets) {
      const wants = names.map(tip);
      const reached = await walks.reachableFrom!([...wants, wants[0]!]);
      expect(sorted(reached?.map((object) => object.id)), names.join(' ')).toEqual(
        await revListObjects(source, wants),
      );
    }
    // An id no ref named when the walk was recorded: not answered (the clone walks).
    const inner = await gitText(['-C', source, 'rev-parse', 'main~1']);
    expect(await walks.reachableFrom!([inner as ObjectId])).toBeUndefined();
    expect(await walks.reachableFrom!([tip('refs/heads/side'), inner as ObjectId])).toBeUndefined();
    expect(await walks.reachableFrom!([])).toBeUndefined();
  });

  it('serves a clone of another branch without walking, filtered for a partial clone', async () => {
    const repository = await pushed(`/import/tips-clone-${dialect}`);
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    const { refs } = await repository.listRefs();
    const snapshot = vi.spyOn(repository.objects, 'loadCloneSnapshot');
    const side = tip('refs/heads/side');
    const walk = await fullCloneWalk(repository, [side], undefined, refs);
    expect(walk.fresh).toBe(false);
    expect(sorted(walk.objects.map((object) => object.id))).toEqual(await revListObjects(source, [side]));
    const partial = await fullCloneWalk(repository, [side, tip('refs/tags/v1')], { kind: 'blob:none' }, refs);
    expect(partial.fresh).toBe(false);
    const withoutBlobs = await gitText([
      '-C',
      source,
      'rev-list',
      '--objects',
      '--filter=blob:none',
      side,
      'v1',
    ]);
    expect(sorted(partial.objects.map((object) => object.id))).toEqual(
      sorted(
        withoutBlobs
          .split('\n')
          .map((line) => line.slice(0, 40))
          .filter(Boolean),
      ),
    );
    expect(snapshot).not.toHaveBeenCalled();
  });

  /** The ids of the walks recorded for `path`'s repository, oldest first. */
  async function walkIds(path: string): Promise<number[]> {
    const { id: repoId } = await storage.repositories.require(path);
    const rows = await getDb()
      .database.db.selectFrom('clone_walks')
      .select('id')
      .where('repo_id', '=', repoId)
      .orderBy('id')
      .execute();
    return rows.map((walk) => Number(walk.id));
  }

  /** The tips the walks `walks` have bitmaps for. */
  async function bitmapTips(walks: readonly number[]): Promise<Set<string>> {
    const rows = await getDb()
      .database.db.selectFrom('clone_walk_tips')
      .select('tip')
      .where('walk_id', 'in', walks)
      .execute();
    return new Set(rows.map((row) => row.tip));
  }

  /** A commit on `parent` in `source` (left detached there): a file, or a merge of `merged`. */
  async function commitOn(parent: string, change: { file: string; content: string } | { merged: string }) {
    await git(['checkout', '-q', '--detach', parent], { cwd: source });
    if ('merged' in change) {
      await git(['merge', '-q', '--no-ff', '-m', `merge ${change.merged}`, change.merged], { cwd: source });
    } else {
      await commitFile(source, change.file, change.content, `add ${change.file}`);
    }
    const id = (await gitText(['-C', source, 'rev-parse', 'HEAD'])) as ObjectId;
    await git(['checkout', '-q', 'main'], { cwd: source });
    return id;
  }

  /**
   * Pushes `moves` to `path` (their new commits made in `source`) and records its walks as the
   * recorder does after a push; whether the recording walked the whole repository.
   */
  async function pushMoves(
    path: string,
    moves: ReadonlyArray<{ refName: string; oldId?: ObjectId; newId?: ObjectId }>,
  ): Promise<{ repository: ServedRepository; walkedAll: boolean }> {
    const repository = await resolve(path);
    const { refs } = await repository.listRefs();
    const heads = refs.filter((ref) => ref.name.startsWith('refs/heads/')).map((ref) => ref.target);
    const news = moves.flatMap((move) => (move.newId ? [move.newId] : []));
    if (news.length > 0) {
      const pack = await packOf(source, news, { excluded: heads });
      await repository.receivePack({ chunks: chunked(pack), endsAt: 'input' }, ROOMY_PACK_LIMITS);
    }
    const updates = moves.map((move) => ({
      refName: move.refName,
      oldId: move.oldId ?? ZERO_ID,
      newId: move.newId ?? ZERO_ID,
    }));
    expect([...(await repository.updateRefs(updates, { atomic: true })).values()].filter(Boolean)).toEqual(
      [],
    );
    const snapshot = vi.spyOn(repository.objects, 'loadCloneSnapshot');
    await recordLikelyCloneWalks(repository, new Map(moves.map((move) => [move.refName, move.oldId])));
    return { repository, walkedAll: snapshot.mock.calls.length > 0 };
  }

  /** A clone of `wants` alone: from the bitmaps (nothing walked) or walked, and exactly their closure. */
  async function expectClone(repository: ServedRepository, wants: ObjectId[], how: 'bitmaps' | 'walked') {
    const { refs } = await repository.listRefs();
    const snapshot = vi.spyOn(repository.objects, 'loadCloneSnapshot');
    snapshot.mockClear();
    const reached = await repository.cloneWalks!.reachableFrom!(wants);
    expect(reached !== undefined, `${wants.join(' ')} answered from bitmaps`).toBe(how === 'bitmaps');
    const walk = await fullCloneWalk(repository, wants, undefined, refs);
    expect(walk.fresh, `${wants.join(' ')} walked`).toBe(how === 'walked');
    expect(snapshot.mock.calls.length > 0).toBe(how === 'walked');
    expect(sorted(walk.objects.map((object) => object.id))).toEqual(await revListObjects(source, wants));
    expect(walk.objects.length).toBe(new Set(walk.objects.map((object) => object.id)).size);
  }

  it('gives fast-forwarded and new tips bitmaps over the extension; a rewind is selected', async () => {
    const path = `/import/tips-moved-${dialect}`;
    await recordLikelyCloneWalks(
      await pushed(path),
      new Map(creates.map((update) => [update.refName, undefined])),
    );
    const firstWalks = await walkIds(path);
    const side = tip('refs/heads/side');

    // A new file, and one identical to a blob elsewhere (it is in the record already).
    const readme = await gitText(['-C', source, 'show', 'main:docs/readme.md']);
    const added = await commitOn(side, { file: `moved-${dialect}/readme-again.md`, content: `${readme}\n` });
    const one = await pushMoves(path, [{ refName: 'refs/heads/side', oldId: side, newId: added }]);
    expect(one.walkedAll).toBe(false);
    await expectClone(one.repository, [added], 'bitmaps');
    // The old tip's bitmap stays with the walks it was made for, not carried into the new ones.
    const afterOne = (await walkIds(path)).filter((id) => !firstWalks.includes(id));
    expect(afterOne.length).toBeGreaterThan(0);
    const carried = await bitmapTips(afterOne);
    expect(carried.has(added)).toBe(true);
    expect(carried.has(side)).toBe(false);
    expect(carried.has(tip('refs/heads/topic'))).toBe(true);

    // A merge of another branch's tip: its bitmap is OR-ed in.
    const topic = tip('refs/heads/topic');
    const mergedTip = await commitOn(added, { merged: topic });
    const two = await pushMoves(path, [{ refName: 'refs/heads/side', oldId: added, newId: mergedTip }]);
    expect(two.walkedAll).toBe(false);
    await expectClone(two.repository, [mergedTip], 'bitmaps');

    // A merge of an inner commit of another branch: walked against the old tip alone.
    const inner = (await gitText(['-C', source, 'rev-parse', 'main~1'])) as ObjectId;
    const mergedInner = await commitOn(mergedTip, { merged: inner });
    const three = await pushMoves(path, [
      { refName: 'refs/heads/side', oldId: mergedTip, newId: mergedInner },
    ]);
    expect(three.walkedAll).toBe(false);
    await expectClone(three.repository, [mergedInner], 'bitmaps');
    // With tags and the branches that did not move; the first push's bitmaps are not needed.
    await getDb().database.db.deleteFrom('clone_walk_tips').where('walk_id', 'in', firstWalks).execute();
    await expectClone(three.repository, [mergedInner, tip('refs/tags/v1'), topic], 'bitmaps');
    await expectClone(three.repository, [tip('refs/heads/main')], 'bitmaps');

    // A new branch off a tip that has a bitmap, and a moved one, in one push.
    const feature = await commitOn(mergedInner, { file: `feature-${dialect}.txt`, content: 'feature\n' });
    const again = await commitOn(mergedInner, { file: `side-${dialect}.txt`, content: 'side\n' });
    const four = await pushMoves(path, [
      { refName: 'refs/heads/feature', newId: feature },
      { refName: 'refs/heads/side', oldId: mergedInner, newId: again },
    ]);
    expect(four.walkedAll).toBe(false);
    await expectClone(four.repository, [feature], 'bitmaps');
    await expectClone(four.repository, [again, feature], 'bitmaps');

    // The new branch merged and deleted in one push: its bitmap is OR-ed in, then left behind.
    const landed = await commitOn(again, { merged: feature });
    const beforeFive = await walkIds(path);
    const five = await pushMoves(path, [
      { refName: 'refs/heads/side', oldId: again, newId: landed },
      { refName: 'refs/heads/feature', oldId: feature },
    ]);
    expect(five.walkedAll).toBe(false);
    await expectClone(five.repository, [landed], 'bitmaps');
    const newestTips = await bitmapTips((await walkIds(path)).filter((id) => !beforeFive.includes(id)));
    expect(newestTips.has(landed)).toBe(true);
    expect(newestTips.has(feature)).toBe(false);

    // A rewind to a commit no ref named: main reaches it, so the walks are selected from the
    // other refs' bitmaps. The rewound tip has one only where its walk against the other tips
    // reaches theirs (see below); either way its clone is exact.
    const rewound = (await gitText(['-C', source, 'rev-parse', `${side}~1`])) as ObjectId;
    const six = await pushMoves(path, [{ refName: 'refs/heads/side', oldId: landed, newId: rewound }]);
    expect(six.walkedAll).toBe(false);
    await expectLikelyWalks(six.repository);
    const rewoundHow = (await six.repository.cloneWalks!.reachableFrom!([rewound])) ? 'bitmaps' : 'walked';
    await expectClone(six.repository, [rewound], rewoundHow);
  });

  /** Every likely want set's recorded walk is exactly what its wants reach, each object once. */
  async function expectLikelyWalks(repository: ServedRepository) {
    for (const wants of await likelyCloneWants(repository)) {
      const recorded = await repository.cloneWalks!.find(cloneWalkKey(wants, undefined));
      const ids = (recorded ?? []).map((object) => object.id);
      expect(recorded, `walk of ${wants.length} wants recorded`).toBeDefined();
      expect(ids.length).toBe(new Set(ids).size);
      expect(sorted(ids)).toEqual(await revListObjects(source, wants));
    }
  }

  /** An annotated tag of `target` made in `source`, its ref removed again. */
  async function annotatedTag(name: string, target: ObjectId): Promise<ObjectId> {
    await git(['-C', source, 'tag', '-a', name, '-m', name, target]);
    const id = (await gitText(['-C', source, 'rev-parse', `refs/tags/${name}`])) as ObjectId;
    await git(['-C', source, 'tag', '-d', name]);
    return id;
  }

  it('selects the walks from the bitmaps when refs stop reaching part of the record', async () => {
    const path = `/import/tips-dropped-${dialect}`;
    await recordLikelyCloneWalks(
      await pushed(path),
      new Map(creates.map((update) => [update.refName, undefined])),
    );
    const main = tip('refs/heads/main');
    const remaining = async (repository: ServedRepository, except: readonly ObjectId[] = []) => {
      const { refs } = await repository.listRefs();
      for (const ref of refs)
        if (!except.includes(ref.target)) await expectClone(repository, [ref.target], 'bitmaps');
    };

    // An unmerged branch deleted: its commit is no longer sent, its blob is (a ref names it).
    const side = tip('refs/heads/side');
    const one = await pushMoves(path, [{ refName: 'refs/heads/side', oldId: side }]);
    expect(one.walkedAll).toBe(false);
    await expectLikelyWalks(one.repository);
    await remaining(one.repository);

    // A tag of a tag deleted: the outer tag object goes.
    const outer = tip('refs/tags/v1-outer');
    const two = await pushMoves(path, [{ refName: 'refs/tags/v1-outer', oldId: outer }]);
    expect(two.walkedAll).toBe(false);
    await expectLikelyWalks(two.repository);
    await remaining(two.repository);

    // A branch pushed, then rebased onto main's tip and force-pushed.
    const fork = (await gitText(['-C', source, 'rev-parse', 'main~3'])) as ObjectId;
    const feature = await commitOn(fork, { file: `feature-${dialect}.txt`, content: 'feature\n' });
    const three = await pushMoves(path, [{ refName: 'refs/heads/feature', newId: feature }]);
    expect(three.walkedAll).toBe(false);
    const rebased = await commitOn(main, { file: `feature-${dialect}.txt`, content: 'feature\n' });
    const four = await pushMoves(path, [{ refName: 'refs/heads/feature', oldId: feature, newId: rebased }]);
    expect(four.walkedAll).toBe(false);
    await expectLikelyWalks(four.repository);
    await remaining(four.repository);

    // An annotated tag moved to main's tip (a new tag object; the old one is no longer reached).
    const v1 = tip('refs/tags/v1');
    const retagged = await annotatedTag(`v1-again-${dialect}`, main);
    const five = await pushMoves(path, [{ refName: 'refs/tags/v1', oldId: v1, newId: retagged }]);
    expect(five.walkedAll).toBe(false);
    await expectLikelyWalks(five.repository);
    await remaining(five.repository);

    // The rebased branch reset to a commit main reaches: selected. The reset tip gets a bitmap
    // only when its walk against the other tips reaches theirs (here a merge of two tips, sent
    // again: the walk's dates are spread); either way its clone is exact.
    const older = (await gitText(['-C', source, 'rev-parse', 'main~1'])) as ObjectId;
    const six = await pushMoves(path, [{ refName: 'refs/heads/feature', oldId: rebased, newId: older }]);
    expect(six.walkedAll).toBe(false);
    await expectLikelyWalks(six.repository);
    await remaining(six.repository, [older]);
    const reset = (await six.repository.cloneWalks!.reachableFrom!([older])) ? 'bitmaps' : 'walked';
    await expectClone(six.repository, [older], reset);
  });

  it('a damaged or missing bitmap of the old tip leaves the moved tip to walk', async () => {
    for (const damage of ['damaged', 'missing'] as const) {
      const path = `/import/tips-moved-${damage}-${dialect}`;
      await recordLikelyCloneWalks(
        await pushed(path),
        new Map(creates.map((update) => [update.refName, undefined])),
      );
      const side = tip('refs/heads/side');
      const walks = await walkIds(path);
      const { db } = getDb().database;
      if (damage === 'damaged') {
        await db
          .updateTable('clone_walk_tips')
          .set({ data: Buffer.from([1, 5]) })
          .where('walk_id', 'in', walks)
          .where('tip', '=', side)
          .execute();
      } else {
        await db
          .deleteFrom('clone_walk_tips')
          .where('walk_id', 'in', walks)
          .where('tip', '=', side)
          .execute();
      }
      const next = await commitOn(side, { file: `${damage}-${dialect}.txt`, content: `${damage}\n` });
      const { repository, walkedAll } = await pushMoves(path, [
        { refName: 'refs/heads/side', oldId: side, newId: next },
      ]);
      expect(walkedAll).toBe(false);
      await expectClone(repository, [next], 'walked');
      // The tips that did not move are still answered.
      await expectClone(repository, [tip('refs/heads/topic')], 'bitmaps');
    }
  });

  it('records no bitmaps beside a walk someone else recorded, and drops them with the walks', async () => {
    const path = `/import/tips-racing-${dialect}`;
    const repository = await pushed(path);
    const [every] = await likelyCloneWants(repository);
    // A clone recorded the walk of every ref first, in its own order.
    const walked = await fullCloneWalk(repository, every!, undefined, (await repository.listRefs()).refs);
    await repository.cloneWalks!.save(cloneWalkKey(every!, undefined), [...walked.objects].reverse());
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    expect(await repository.cloneWalks!.reachableFrom!([tip('refs/heads/side')])).toBeUndefined();

    const again = await pushed(`${path}-2`);
    await recordLikelyCloneWalks(again, new Map(creates.map((update) => [update.refName, undefined])));
    expect(await again.cloneWalks!.reachableFrom!([tip('refs/heads/side')])).toBeDefined();
    const { id } = await storage.repositories.require(`${path}-2`);
    await storage.cloneWalks.deleteRepository(id);
    const left = await getDb().database.db.selectFrom('clone_walk_tips').select('walk_id').execute();
    const walks = await getDb().database.db.selectFrom('clone_walks').select('id').execute();
    const walkIds = new Set(walks.map((walk) => Number(walk.id)));
    expect(left.every((row) => walkIds.has(Number(row.walk_id)))).toBe(true);
  });

  it('a damaged bitmap is not used: the clone walks', async () => {
    const path = `/import/tips-damaged-${dialect}`;
    const repository = await pushed(path);
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    const side = tip('refs/heads/side');
    const expected = await revListObjects(source, [side]);
    expect(sorted((await repository.cloneWalks!.reachableFrom!([side]))?.map((object) => object.id))).toEqual(
      expected,
    );
    await getDb()
      .database.db.updateTable('clone_walk_tips')
      .set({ data: Buffer.from([1, 5]) })
      .where('tip', '=', side)
      .execute();
    // This server picked the tip's entries from the bitmap while it was whole, and keeps the pick.
    expect(sorted((await repository.cloneWalks!.reachableFrom!([side]))?.map((object) => object.id))).toEqual(
      expected,
    );
    // Another server on the same database reads the damaged bitmap, refuses it, and walks.
    const other = await createStoredRepositoryResolver(scratchStorage(getDb(), 1 << 20), {
      kindOf: () => 'import',
    }).resolve(path, 'write', EVERY_PATH);
    expect(await other.cloneWalks!.reachableFrom!([side])).toBeUndefined();
    const walk = await fullCloneWalk(other, [side], undefined, (await other.listRefs()).refs);
    expect(walk.fresh).toBe(true);
    expect(sorted(walk.objects.map((object) => object.id))).toEqual(expected);
  });
});
