import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  makeBranchyFirstPush,
  revListObjects,
  ROOMY_PACK_LIMITS,
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

  it('an extended walk keeps the bitmaps of the tips that did not move; a moved tip walks', async () => {
    const path = `/import/tips-extended-${dialect}`;
    const repository = await pushed(path);
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    const { id: repoId } = await storage.repositories.require(path);
    const walkIds = async () =>
      (
        await getDb()
          .database.db.selectFrom('clone_walks')
          .select('id')
          .where('repo_id', '=', repoId)
          .execute()
      ).map((walk) => Number(walk.id));
    const firstWalks = await walkIds();
    const side = tip('refs/heads/side');
    await git(['checkout', '-q', '--detach', side], { cwd: source });
    const next = (await commitFile(source, `tips-${dialect}.txt`, 'on side\n', 'side again')) as ObjectId;
    await git(['checkout', '-q', 'main'], { cwd: source });
    const later = await resolve(path);
    await later.receivePack(
      { chunks: chunked(await packOf(source, [next], { excluded: [side] })), endsAt: 'input' },
      ROOMY_PACK_LIMITS,
    );
    await later.updateRefs([{ refName: 'refs/heads/side', oldId: side, newId: next }], { atomic: true });
    const snapshot = vi.spyOn(later.objects, 'loadCloneSnapshot');
    await recordLikelyCloneWalks(later, new Map([['refs/heads/side', side]]));
    expect(snapshot).not.toHaveBeenCalled();

    // The first push's walks lose their bitmaps: what is left was copied to the extension.
    const { db } = getDb().database;
    await db.deleteFrom('clone_walk_tips').where('walk_id', 'in', firstWalks).execute();
    const tips = await db
      .selectFrom('clone_walk_tips')
      .select('tip')
      .where('walk_id', 'in', await walkIds())
      .execute();
    expect(tips.length).toBeGreaterThan(5);
    for (const wants of [[tip('refs/heads/topic')], [tip('refs/tags/v1'), side], [tip('refs/heads/main')]]) {
      const reached = await later.cloneWalks!.reachableFrom!(wants);
      expect(sorted(reached?.map((object) => object.id))).toEqual(await revListObjects(source, wants));
    }
    expect(await later.cloneWalks!.reachableFrom!([next])).toBeUndefined();
    const { refs } = await later.listRefs();
    const walk = await fullCloneWalk(later, [next], undefined, refs);
    expect(walk.fresh).toBe(true);
    expect(sorted(walk.objects.map((object) => object.id))).toEqual(await revListObjects(source, [next]));
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
    const repository = await pushed(`/import/tips-damaged-${dialect}`);
    await recordLikelyCloneWalks(repository, new Map(creates.map((update) => [update.refName, undefined])));
    const side = tip('refs/heads/side');
    expect(await repository.cloneWalks!.reachableFrom!([side])).toBeDefined();
    await getDb()
      .database.db.updateTable('clone_walk_tips')
      .set({ data: Buffer.from([1, 5]) })
      .where('tip', '=', side)
      .execute();
    expect(await repository.cloneWalks!.reachableFrom!([side])).toBeUndefined();
    const walk = await fullCloneWalk(repository, [side], undefined, (await repository.listRefs()).refs);
    expect(walk.fresh).toBe(true);
    expect(sorted(walk.objects.map((object) => object.id))).toEqual(await revListObjects(source, [side]));
  });
});
