import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { ObjectId } from '../git/object-id.js';
import type { Storage } from '../storage/storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { chunked, makeRepository, packOf, revParse } from '../../tests/support/git-fixtures.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import { EVERY_PATH, type RefUpdateOptions, type RefUpdateRequest } from './served-repository.js';
import { createStoredRepositoryResolver } from './stored-repositories.js';

const ZERO = '0'.repeat(40) as ObjectId;
const LIMITS = {
  maxObjects: 1_000_000,
  maxObjectSize: 1 << 30,
  maxNonBlobSize: 1 << 26,
  maxPackSize: 1 << 30,
};

let work: { path: string; remove: () => Promise<void> };
let pack: Buffer;
let head: ObjectId;
let tree: ObjectId;
let tagV1: ObjectId;
let tagOuter: ObjectId;

beforeAll(async () => {
  work = await makeTempDir('mega-first-push-');
  const dir = join(work.path, 'source');
  await makeRepository(dir, { commits: 3 });
  pack = await packOf(dir, ['--all']);
  head = (await revParse(dir, 'HEAD')) as ObjectId;
  tree = (await revParse(dir, 'HEAD^{tree}')) as ObjectId;
  tagV1 = (await revParse(dir, 'v1')) as ObjectId;
  tagOuter = (await revParse(dir, 'v1-outer')) as ObjectId;
});
afterAll(async () => {
  await work.remove();
});

/** First pushes through the stored resolver: the repository lands whole or leaves nothing. */
describeEachDialect('stored repositories: first push', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 1 << 20);
  });

  const resolver = () => createStoredRepositoryResolver(storage, { kindOf: () => 'import' });

  /** One push: receive the pack, then apply `updates` (as receive-pack does after its checks). */
  async function firstPush(path: string, updates: RefUpdateRequest[], options: RefUpdateOptions) {
    const repository = await resolver().resolve(path, 'write', EVERY_PATH);
    expect(repository.exists).toBe(false);
    await repository.receivePack({ chunks: chunked(pack), endsAt: 'input' }, LIMITS);
    expect(repository.exists, 'a pending repository does not exist yet').toBe(false);
    expect(await storage.repositories.find(path)).toBeUndefined();
    return repository.updateRefs(updates, options);
  }

  async function expectNothingLeft(path: string): Promise<void> {
    expect(await storage.repositories.find(path)).toBeUndefined();
    // No pending row either (createdAt before "now + 1 minute" catches every one of them).
    expect(await storage.repositories.listPending(new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    await expect(resolver().resolve(path, 'read', EVERY_PATH)).rejects.toMatchObject({
      code: 'repository_not_found',
    });
  }

  async function expectUsable(path: string): Promise<void> {
    const results = await firstPush(path, [{ refName: 'refs/heads/master', oldId: ZERO, newId: head }], {
      atomic: false,
    });
    expect(results.get('refs/heads/master')).toBeUndefined();
    const repository = await storage.repositories.require(path);
    expect(repository.headRef).toBe('refs/heads/master');
    expect(await storage.refs.list(repository.id)).toEqual([{ name: 'refs/heads/master', target: head }]);
  }

  it('leaves nothing when the step inside the creation transaction fails, then works', async () => {
    const path = `/import/fails-${++counter}`;
    const failing: RefUpdateOptions = {
      atomic: false,
      onCreate: async (scope, repository) => {
        // The refs are written inside the transaction when the failure strikes.
        expect(await scope.refs.get(repository.id, 'refs/heads/main')).toBe(head);
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    };
    await expect(
      firstPush(path, [{ refName: 'refs/heads/main', oldId: ZERO, newId: head }], failing),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    await expectNothingLeft(path);
    await expectUsable(path);
  });

  it('leaves nothing when every ref update fails, then works', async () => {
    const path = `/import/refused-${++counter}`;
    const results = await firstPush(
      path,
      [
        { refName: 'refs/heads/a', oldId: ZERO, newId: head },
        { refName: 'refs/heads/a/b', oldId: ZERO, newId: head },
      ],
      { atomic: true },
    );
    expect(results.get('refs/heads/a')).toMatch(/cannot process 'refs\/heads\/a' and 'refs\/heads\/a\/b'/);
    await expectNothingLeft(path);
    await expectUsable(path);
  });

  it('refuses a pack ending at its trailer when more input arrived after it, leaving nothing', async () => {
    const path = `/import/trailing-${++counter}`;
    const repository = await resolver().resolve(path, 'write', EVERY_PATH);
    // The whole pack in pieces, then bytes the transport received after it (not part of any piece).
    const received = repository.receivePack(
      { chunks: chunked(pack), endsAt: 'trailer', unreadBytes: () => '0000garbage'.length },
      LIMITS,
    );
    await expect(received).rejects.toMatchObject({
      code: 'pack_trailing_garbage',
      message: 'bytes follow the pack trailer',
    });
    await expectNothingLeft(path);
    const again = await resolver().resolve(path, 'write', EVERY_PATH);
    await again.receivePack({ chunks: chunked(pack), endsAt: 'trailer', unreadBytes: () => 0 }, LIMITS);
    const results = await again.updateRefs([{ refName: 'refs/heads/master', oldId: ZERO, newId: head }], {
      atomic: false,
    });
    expect(results.get('refs/heads/master')).toBeUndefined();
    expect((await storage.repositories.require(path)).headRef).toBe('refs/heads/master');
  });

  it('leaves nothing when the policy refused every ref (no update reaches storage), then works', async () => {
    const path = `/import/policy-${++counter}`;
    expect(await firstPush(path, [], { atomic: false })).toEqual(new Map());
    await expectNothingLeft(path);
    await expectUsable(path);
  });

  it('creates the repository with its refs and runs the creation step in the same transaction', async () => {
    const path = `/import/created-${++counter}`;
    let seen: string | undefined;
    const results = await firstPush(
      path,
      [
        { refName: 'refs/tags/t', oldId: ZERO, newId: tree },
        { refName: 'refs/heads/feature', oldId: ZERO, newId: head },
      ],
      {
        atomic: false,
        onCreate: async (scope, repository) => {
          seen = (await scope.repositories.findById(repository.id))?.path;
        },
      },
    );
    expect([...results.values()]).toEqual([undefined, undefined]);
    expect(seen).toBe(path);
    expect((await storage.repositories.require(path)).headRef).toBe('refs/heads/feature');
  });

  it('refuses the path to a second creator that lost the race, leaving the winner intact', async () => {
    const path = `/import/race-${++counter}`;
    const first = await resolver().resolve(path, 'write', EVERY_PATH);
    const second = await resolver().resolve(path, 'write', EVERY_PATH);
    await first.receivePack({ chunks: chunked(pack), endsAt: 'input' }, LIMITS);
    await second.receivePack({ chunks: chunked(pack), endsAt: 'input' }, LIMITS);
    const update = [{ refName: 'refs/heads/main', oldId: ZERO, newId: head }];
    expect((await first.updateRefs(update, { atomic: false })).get('refs/heads/main')).toBeUndefined();
    expect((await second.updateRefs(update, { atomic: false })).get('refs/heads/main')).toBe(
      'a repository already exists at this path',
    );
    const repository = await storage.repositories.require(path);
    expect(await storage.refs.list(repository.id)).toEqual([{ name: 'refs/heads/main', target: head }]);
    expect(await storage.repositories.listPending(new Date(Date.now() + 60_000).toISOString())).toEqual([]);
  });

  it('peels each tag ref once: later listings take the targets the resolver kept', async () => {
    const path = `/import/tags-${++counter}`;
    await firstPush(
      path,
      [
        { refName: 'refs/heads/main', oldId: ZERO, newId: head },
        { refName: 'refs/tags/v1', oldId: ZERO, newId: tagV1 },
        { refName: 'refs/tags/v1-outer', oldId: ZERO, newId: tagOuter },
        { refName: 'refs/tags/light', oldId: ZERO, newId: head },
      ],
      { atomic: true },
    );
    const served = resolver();
    const tagTargets = vi.spyOn(storage.objects, 'tagTargets');
    try {
      const listed = async () => (await (await served.resolve(path, 'read', EVERY_PATH)).listRefs()).refs;
      const first = await listed();
      const asked = tagTargets.mock.calls.length;
      expect(asked).toBeGreaterThan(0);
      const second = await listed();
      expect(second).toEqual(first);
      expect(tagTargets.mock.calls.length, 'nothing read again, not even the lightweight tag').toBe(asked);
      const peeled = new Map(first.map((ref) => [ref.name, ref.peeled]));
      const commit = (
        await storage.objects.tagTargets((await storage.repositories.require(path)).id, [tagV1])
      ).get(tagV1)?.object;
      expect(peeled.get('refs/tags/v1')).toBe(commit);
      expect(peeled.get('refs/tags/v1-outer')).toBe(commit);
      expect(peeled.get('refs/tags/light')).toBeUndefined();
      expect(peeled.get('refs/heads/main')).toBeUndefined();
    } finally {
      tagTargets.mockRestore();
    }
  });
});
