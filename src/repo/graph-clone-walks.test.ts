import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  makeBranchyFirstPush,
  revListObjects,
  ROOMY_PACK_LIMITS,
  ZERO_ID,
  type BranchyFirstPush,
} from '../../tests/support/branchy-first-push.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { git } from '../../tests/support/git-cli.js';
import { chunked, commitFile, packOf } from '../../tests/support/git-fixtures.js';
import { createScratchDatabase, scratchStorage } from '../../tests/support/scratch-database.js';
import type { ObjectId } from '../git/object-id.js';
import type { Storage } from '../storage/storage.js';
import { cloneWalkKey, fullCloneWalk, likelyCloneWants, recordLikelyCloneWalks } from './clone-walk.js';
import { CloneWalkRecorder } from './clone-walk-recorder.js';
import {
  EVERY_PATH,
  type RefUpdateRequest,
  type ServedRepository,
  type WalkedObject,
} from './served-repository.js';
import { createStoredRepositoryResolver } from './stored-repositories.js';

let work: BranchyFirstPush['work'];
let source: string;
let pack: Buffer;
let creates: RefUpdateRequest[];

beforeAll(async () => {
  ({ work, source, pack, creates } = await makeBranchyFirstPush('mega-graph-walks-'));
});
afterAll(async () => {
  await work.remove();
});

/**
 * The walk recorder after a first push lists the likely clones' objects from the pack's graph,
 * without reading the repository's trees back, and records exactly what walking storage records.
 */
const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();

describeEachDialect('clone walks of a first push, from its pack', (getDb, dialect) => {
  let storage: Storage;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 1 << 20);
  });
  const resolve = (path: string) =>
    createStoredRepositoryResolver(storage, { kindOf: () => 'import' }).resolve(path, 'write', EVERY_PATH);

  async function push(path: string, pushed: Buffer, updates: RefUpdateRequest[]): Promise<ServedRepository> {
    const repository = await resolve(path);
    await repository.receivePack({ chunks: chunked(pushed), endsAt: 'input' }, ROOMY_PACK_LIMITS);
    const results = await repository.updateRefs(updates, { atomic: true });
    expect([...results.values()].filter(Boolean)).toEqual([]);
    return repository;
  }

  /** The recorded walks of the likely want sets, as `type id hint` lines. */
  async function recordedWalks(repository: ServedRepository): Promise<string[][]> {
    const lists: string[][] = [];
    for (const wants of await likelyCloneWants(repository)) {
      const walk = await repository.cloneWalks!.find(cloneWalkKey(wants, undefined));
      expect(walk, 'a walk is recorded for every likely want set').toBeDefined();
      lists.push(walk!.map((object) => `${object.type} ${object.id} ${object.hint}`));
    }
    return lists;
  }

  /** Records walks the way the recorder does after a push that created every ref. */
  async function record(repository: ServedRepository): Promise<{ recorded: number; readBack: boolean }> {
    const snapshot = vi.spyOn(repository.objects, 'loadCloneSnapshot');
    const before = new Map(creates.map((update) => [update.refName, undefined]));
    const recorded = await recordLikelyCloneWalks(repository, before);
    return { recorded, readBack: snapshot.mock.calls.length > 0 };
  }

  it('records from the graph what walking storage records, object for object, hints included', async () => {
    for (const path of ['/import/graph-a', '/import/graph-b']) {
      // The second repository's rows exist already (content-addressed): the same walk again.
      const pushed = await push(path, pack, creates);
      const fromGraph = await record(pushed);
      expect(fromGraph).toEqual({ recorded: 3, readBack: false });
      const walks = await recordedWalks(pushed);
      // `--mirror`, branches and tags, the default branch alone (`--single-branch`).
      expect(walks).toHaveLength(3);
      expect(walks[0]!.every((line) => !line.endsWith(' undefined'))).toBe(true);

      const repository = await storage.repositories.require(path);
      await storage.cloneWalks.deleteRepository(repository.id);
      const again = await resolve(path);
      expect(again.cloneWalks?.takePushGraph?.()).toBeUndefined();
      const fromStorage = await record(again);
      expect(fromStorage).toEqual({ recorded: 3, readBack: true });
      expect(await recordedWalks(again)).toEqual(walks);
    }
  });

  it("takes the first push's row keys from its own inserts; a server without the graph walks storage to the same", async () => {
    // A database of its own: no earlier test stored these objects, so this push inserts every row.
    const fresh = await createScratchDatabase(dialect);
    try {
      const freshStorage = scratchStorage(fresh, 1 << 20);
      const server = () => createStoredRepositoryResolver(freshStorage, { kindOf: () => 'import' });
      const path = '/import/graph-carried';
      const pushed = await server().resolve(path, 'write', EVERY_PATH);
      await pushed.receivePack({ chunks: chunked(pack), endsAt: 'input' }, ROOMY_PACK_LIMITS);
      const results = await pushed.updateRefs(creates, { atomic: true });
      expect([...results.values()].filter(Boolean)).toEqual([]);
      // Another server of the cluster (or this one restarted) never had the push's graph.
      const elsewhere = await server().resolve(path, 'write', EVERY_PATH);
      expect(elsewhere.cloneWalks?.takePushGraph?.()).toBeUndefined();
      type MemberLookups = {
        scanMemberRows(repoId: number, visit: unknown): Promise<void>;
        memberRowsOf(repoId: number, ids: readonly string[], visit: unknown): Promise<void>;
      };
      const lookups = freshStorage.cloneWalks as unknown as MemberLookups;
      const scans = vi.spyOn(lookups, 'scanMemberRows');
      const byId = vi.spyOn(lookups, 'memberRowsOf');
      const statements = () =>
        scans.mock.calls.length + byId.mock.calls.filter(([, ids]) => ids.length > 0).length;
      expect(await record(pushed)).toEqual({ recorded: 3, readBack: false });
      // Where inserts tell their row keys (SQLite), the push's walks need no membership statement.
      if (fresh.database.runPreparedBatch) expect(statements()).toBe(0);
      else expect(statements()).toBeGreaterThan(0);
      const walks = await recordedWalks(pushed);
      expect(walks.flat().every((line) => !line.endsWith(' undefined'))).toBe(true);

      const repository = await freshStorage.repositories.require(path);
      await freshStorage.cloneWalks.deleteRepository(repository.id);
      scans.mockClear();
      byId.mockClear();
      expect(await record(elsewhere)).toEqual({ recorded: 3, readBack: true });
      expect(statements()).toBeGreaterThan(0);
      expect(await recordedWalks(elsewhere)).toEqual(walks);
      scans.mockRestore();
      byId.mockRestore();
    } finally {
      await fresh.drop();
    }
  });

  it('records the default branch alone: exactly what rev-list lists of it, extended after a push', async () => {
    const path = `/import/single-${dialect}`;
    const main = creates.find((update) => update.refName === 'refs/heads/main')!;
    const pushed = await push(path, pack, creates);
    expect((await record(pushed)).recorded).toBe(3);
    const singleWalk = async (repository: ServedRepository, tip: ObjectId) =>
      (await repository.cloneWalks!.find(cloneWalkKey([tip], undefined)))?.map((object) => object.id);
    expect(sorted(await singleWalk(pushed, main.newId))).toEqual(await revListObjects(source, [main.newId]));

    // A commit on main: the default branch's walk is extended, nothing read back.
    const tip = main.newId;
    await git(['checkout', '-q', '--detach', tip], { cwd: source });
    const next = (await commitFile(source, `single-${dialect}.txt`, 'on main\n', 'single')) as ObjectId;
    await git(['checkout', '-q', 'main'], { cwd: source });
    const later = await push(path, await packOf(source, [next], { excluded: [tip] }), [
      { refName: main.refName, oldId: tip, newId: next },
    ]);
    const snapshot = vi.spyOn(later.objects, 'loadCloneSnapshot');
    expect(await recordLikelyCloneWalks(later, new Map([[main.refName, tip]]))).toBe(3);
    expect(snapshot).not.toHaveBeenCalled();
    const extended = await singleWalk(later, next);
    expect(new Set(extended).size).toBe(extended?.length);
    expect(sorted(extended)).toEqual(await revListObjects(source, [next]));
  });

  it('copies the walk of every ref for the default branch when that branch reaches every object', async () => {
    const path = `/import/single-copied-${dialect}`;
    const main = creates.find((update) => update.refName === 'refs/heads/main')!;
    const onMain = creates.find((update) => update.refName === 'refs/tags/v0')!;
    const pushed = await push(path, await packOf(source, ['main']), [main, onMain]);
    const save = vi.spyOn(pushed.cloneWalks!, 'save');
    // Every ref (branches and tags are the same set), then the default branch: one walk saved.
    expect((await record(pushed)).recorded).toBe(2);
    expect(save).toHaveBeenCalledTimes(1);
    const single = await pushed.cloneWalks!.find(cloneWalkKey([main.newId], undefined));
    expect(sorted(single?.map((object) => object.id))).toEqual(await revListObjects(source, [main.newId]));
    expect(single?.every((object) => object.hint !== undefined)).toBe(true);
  });

  it("keeps the default branch's walk while pushes to another branch record new ones", async () => {
    const path = `/import/single-kept-${dialect}`;
    const side = creates.find((update) => update.refName === 'refs/heads/side')!;
    const main = creates.find((update) => update.refName === 'refs/heads/main')!;
    expect((await record(await push(path, pack, creates))).recorded).toBe(3);
    let tip = side.newId;
    // Each push records two walks (every ref; branches and tags): more than are kept, by the third.
    for (let i = 0; i < 3; i++) {
      await git(['checkout', '-q', '--detach', tip], { cwd: source });
      const next = (await commitFile(source, `side-${dialect}-${i}.txt`, `${i}\n`, 'side')) as ObjectId;
      const later = await push(path, await packOf(source, [next], { excluded: [tip] }), [
        { refName: side.refName, oldId: tip, newId: next },
      ]);
      const snapshot = vi.spyOn(later.objects, 'loadCloneSnapshot');
      expect(await recordLikelyCloneWalks(later, new Map([[side.refName, tip]]))).toBe(2);
      expect(snapshot).not.toHaveBeenCalled();
      tip = next;
    }
    await git(['checkout', '-q', 'main'], { cwd: source });
    const repository = await resolve(path);
    expect(await repository.cloneWalks!.find(cloneWalkKey([main.newId], undefined))).toBeDefined();
  });

  /** Ids and types of a walk, in order. */
  const idsAndTypes = (walk: readonly WalkedObject[] | undefined) =>
    walk?.map((object) => `${object.type} ${object.id}`);

  it('hands a clone arriving mid-recording the walk before it is saved: what is saved after', async () => {
    const pushed = await push(`/import/graph-early-${dialect}`, pack, creates);
    const [wants] = await likelyCloneWants(pushed);
    const key = cloneWalkKey(wants!, undefined);
    const walks = pushed.cloneWalks!;
    const save = walks.save.bind(walks);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    vi.spyOn(walks, 'save').mockImplementation(async (...args) => {
      await held;
      await save(...args);
    });
    const recorder = new CloneWalkRecorder(() => undefined, 60_000);
    recorder.schedule(pushed, creates);
    const early = await recorder.recorded(pushed.path, key);
    // Known, not saved yet: the save waits. With the row keys a clone reads them by.
    expect(early?.length).toBeGreaterThan(0);
    expect(early?.every((object) => object.hint !== undefined)).toBe(true);
    expect(await walks.find(key)).toBeUndefined();
    // A second clone arriving meanwhile gets it too, at once.
    expect(await recorder.recorded(pushed.path, key)).toBe(early);
    release();
    await recorder.idle();
    expect(idsAndTypes(early)).toEqual(idsAndTypes(await walks.find(key)));
    expect(sorted(early?.map((object) => object.id))).toEqual(await revListObjects(source, ['--all']));
    // Once the run is over, clones read the record.
    expect(await recorder.recorded(pushed.path, key)).toBeUndefined();
  });

  /** Git requests in flight until `end()`: `pause()` holds whoever asks (`ForegroundWork`). */
  function requestsInFlight() {
    let end = () => {};
    const ended = new Promise<void>((resolve) => (end = resolve));
    let busy = true;
    const yieldTo = { pause: vi.fn(() => (busy ? ended : undefined)) };
    return {
      yieldTo,
      end: () => {
        busy = false;
        end();
      },
    };
  }

  const turns = async (count: number) => {
    for (let turn = 0; turn < count; turn += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  };

  it('gives way to git requests once no clone waits for one of its walks; a clone asking wakes it', async () => {
    const pushed = await push(`/import/graph-yield-${dialect}`, pack, creates);
    const sets = await likelyCloneWants(pushed);
    expect(sets.length).toBeGreaterThan(1);
    const [first, ...others] = sets.map((wants) => cloneWalkKey(wants, undefined));
    const walks = pushed.cloneWalks!;
    const save = vi.spyOn(walks, 'save');
    const requests = requestsInFlight();
    const recorder = new CloneWalkRecorder(() => undefined, 60_000, requests.yieldTo);
    recorder.schedule(pushed, creates);
    // The clone right after the push waits for its walk: nothing holds the recording back.
    const early = await recorder.recorded(pushed.path, first!);
    expect(early?.length).toBeGreaterThan(0);
    // Then the rest waits while the clone is in flight: nothing saved yet.
    await turns(20);
    expect(requests.yieldTo.pause).toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
    expect(await walks.find(first!)).toBeUndefined();
    // A clone of another likely want set does not wait behind the requests in flight.
    for (const key of others) expect((await recorder.recorded(pushed.path, key))?.length).toBeGreaterThan(0);
    requests.end();
    await recorder.idle();
    for (const key of [first!, ...others]) expect(await walks.find(key)).toBeDefined();
    expect(idsAndTypes(early)).toEqual(idsAndTypes(await walks.find(first!)));
  });

  it('with no clone waiting, records nothing while git requests run, and everything when closed', async () => {
    const pushed = await push(`/import/graph-yield-idle-${dialect}`, pack, creates);
    const keys = (await likelyCloneWants(pushed)).map((wants) => cloneWalkKey(wants, undefined));
    const walks = pushed.cloneWalks!;
    const graphHints = vi.spyOn(walks, 'graphHints');
    const requests = requestsInFlight();
    const recorder = new CloneWalkRecorder(() => undefined, 0, requests.yieldTo);
    recorder.schedule(pushed, creates);
    await turns(20);
    expect(requests.yieldTo.pause).toHaveBeenCalled();
    expect(graphHints).not.toHaveBeenCalled();
    // Closing runs what is left at once, whatever is in flight.
    await recorder.close();
    for (const key of keys) expect(await walks.find(key)).toBeDefined();
  });

  it('keeps giving way while requests stay in flight past one capped pause', async () => {
    const pushed = await push(`/import/graph-yield-capped-${dialect}`, pack, creates);
    const [first] = (await likelyCloneWants(pushed)).map((wants) => cloneWalkKey(wants, undefined));
    const save = vi.spyOn(pushed.cloneWalks!, 'save');
    let busy = true;
    // Each pause ends after a moment (its cap) with the requests still in flight.
    const yieldTo = {
      pause: vi.fn(() => (busy ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : undefined)),
    };
    const recorder = new CloneWalkRecorder(() => undefined, 60_000, yieldTo);
    recorder.schedule(pushed, creates);
    expect((await recorder.recorded(pushed.path, first!))?.length).toBeGreaterThan(0);
    await turns(20);
    expect(yieldTo.pause.mock.calls.length).toBeGreaterThan(2);
    expect(save).not.toHaveBeenCalled();
    busy = false;
    await recorder.idle();
    expect(await pushed.cloneWalks!.find(first!)).toBeDefined();
  });

  it('a push to another repository ends the wait: its recording is not held up behind this one', async () => {
    const waiting = await push(`/import/graph-yield-a-${dialect}`, pack, creates);
    const next = await push(`/import/graph-yield-b-${dialect}`, pack, creates);
    const requests = requestsInFlight();
    const recorder = new CloneWalkRecorder(() => undefined, 0, requests.yieldTo);
    recorder.schedule(waiting, creates);
    await turns(20);
    expect(requests.yieldTo.pause).toHaveBeenCalled();
    recorder.schedule(next, creates);
    // The first one ends while the requests are still in flight; the next one gives way in turn.
    await recorder.settled(waiting.path);
    requests.end();
    await recorder.idle();
    for (const repository of [waiting, next])
      for (const wants of await likelyCloneWants(repository))
        expect(await repository.cloneWalks!.find(cloneWalkKey(wants, undefined))).toBeDefined();
  });

  it('a recording that fails leaves the clone waiting for it to walk: complete either way', async () => {
    const path = `/import/graph-failing-${dialect}`;
    const pushed = await push(path, pack, creates);
    const { refs } = await pushed.listRefs();
    const [wants] = await likelyCloneWants(pushed);
    const key = cloneWalkKey(wants!, undefined);
    const errors: string[] = [];
    const recorder = new CloneWalkRecorder((error) => errors.push((error as Error).message), 60_000);
    // Failing before any walk is known: the clone hears nothing and walks storage itself.
    vi.spyOn(pushed, 'listRefs').mockRejectedValueOnce(new Error('refs unavailable'));
    recorder.schedule(pushed, creates);
    expect(await recorder.recorded(path, key)).toBeUndefined();
    await recorder.idle();
    expect(errors).toEqual(['refs unavailable']);
    const walked = await fullCloneWalk(pushed, wants!, undefined, refs);
    expect(walked.fresh).toBe(true);
    expect(sorted(walked.objects.map((object) => object.id))).toEqual(
      await revListObjects(source, ['--all']),
    );

    // Failing to save a walk already known: the clone has it; the next one walks again.
    const again = await resolve(path);
    vi.spyOn(again.cloneWalks!, 'save').mockRejectedValue(new Error('disk full'));
    recorder.schedule(again);
    const known = await recorder.recorded(path, key);
    await recorder.idle();
    expect(errors).toEqual(['refs unavailable', 'disk full']);
    // Walked from storage (the graph went with the failed run), delta bases first.
    expect(sorted(known?.map((object) => object.id))).toEqual(await revListObjects(source, ['--all']));
    expect(await again.cloneWalks!.find(key)).toBeUndefined();
  });

  it('hands the graph over once, and keeps none for a push to a repository that has refs', async () => {
    const path = '/import/graph-once';
    const pushed = await push(path, pack, creates);
    expect(pushed.cloneWalks?.takePushGraph?.()?.usable).toBe(true);
    expect(pushed.cloneWalks?.takePushGraph?.()).toBeUndefined();

    const main = creates.find((update) => update.refName === 'refs/heads/main')!;
    await git(['checkout', '-q', '--detach', main.newId], { cwd: source });
    const next = await commitFile(source, `later-${dialect}.txt`, 'a later commit\n', 'later');
    const incremental = await packOf(source, [next], { excluded: [main.newId] });
    const later = await push(path, incremental, [
      { refName: main.refName, oldId: main.newId, newId: next as ObjectId },
    ]);
    expect(later.cloneWalks?.takePushGraph?.()).toBeUndefined();
  });

  it('a graph that does not reach every ref leaves the walk to storage', async () => {
    // Two pushes into one repository without refs, both before either moved a ref: the second
    // one's graph lacks what the first one's ref reaches.
    const path = '/import/graph-partial';
    const main = creates.find((update) => update.refName === 'refs/heads/main')!;
    const side = creates.find((update) => update.refName === 'refs/heads/side')!;
    await push(path, pack, [main]);
    await (
      await resolve(path)
    ).updateRefs([{ ...main, oldId: main.newId, newId: ZERO_ID }], { atomic: true });
    const first = await resolve(path);
    const second = await resolve(path);
    await first.receivePack(
      { chunks: chunked(await packOf(source, ['main'])), endsAt: 'input' },
      ROOMY_PACK_LIMITS,
    );
    await second.receivePack(
      { chunks: chunked(await packOf(source, ['side'])), endsAt: 'input' },
      ROOMY_PACK_LIMITS,
    );
    await first.updateRefs([main], { atomic: true });
    await second.updateRefs([side], { atomic: true });
    await storage.cloneWalks.deleteRepository((await storage.repositories.require(path)).id);
    const snapshot = vi.spyOn(second.objects, 'loadCloneSnapshot');
    // The refs' walk and the default branch's.
    expect(await recordLikelyCloneWalks(second, new Map([[side.refName, undefined]]))).toBe(2);
    expect(snapshot).toHaveBeenCalled();
    expect(second.cloneWalks?.takePushGraph?.()).toBeUndefined();
    expect((await recordedWalks(second))[0]!.length).toBeGreaterThan(0);
  });
});
