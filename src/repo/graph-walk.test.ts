import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitText } from '../../tests/support/git-cli.js';
import { chunked, packOf } from '../../tests/support/git-fixtures.js';
import { makeBranchyRepository, refTargets } from '../../tests/support/branchy-repository.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { parseCommit } from '../git/commit.js';
import { identSeconds } from '../git/ident.js';
import type { ObjectType } from '../git/object.js';
import { SHA1 } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { ObjectGraph } from '../git/object-graph.js';
import { readPack } from '../git/pack-reader.js';
import { storedObjectHint } from '../storage/pack-ready.js';
import { basesFirst } from './clone-walk.js';
import { CommitCache } from './common-commits.js';
import { graphWalkObjects, walkGraph } from './graph-walk.js';
import { walkObjects } from './object-walk.js';
import type { GraphHintOf, ObjectSource } from './served-repository.js';
import { completeObjectSource } from './single-read-objects.js';

/** A pack read into a graph and into memory (the source `walkObjects` reads). */
async function load(pack: Buffer) {
  const graph = new ObjectGraph(SHA1);
  const objects = new Map<ObjectId, { type: ObjectType; content: Buffer }>();
  const deltaBases = new Map<ObjectId, ObjectId>();
  await readPack(chunked(pack), {
    onObject: (object, content) => {
      graph.add(object.id, object.type, content.data, object.deltaBase);
      // The reader may reuse the buffer of what it handed over.
      objects.set(object.id, { type: object.type, content: Buffer.from(content.data) });
      if (object.deltaBase) deltaBases.set(object.id, object.deltaBase);
    },
  });
  const source: ObjectSource = completeObjectSource({
    hasObjects: async (ids) => new Set(ids.filter((id) => objects.has(id))),
    readObject: async (id) => objects.get(id),
    readCommit: async (id) => {
      const object = objects.get(id);
      if (object?.type !== 'commit') return undefined;
      const commit = parseCommit(object.content);
      return {
        id,
        tree: commit.tree,
        parents: commit.parents,
        committerTime: identSeconds(commit.committer),
      };
    },
  });
  return { graph, source, deltaBases };
}

/** The recorder's walk of `wants` over the graph: undefined when the graph does not hold it. */
function graphCloneWalk(graph: ObjectGraph, wants: readonly ObjectId[], hintOf?: GraphHintOf) {
  const walked = walkGraph(graph, wants);
  return walked && graphWalkObjects(graph, walked, hintOf);
}

async function storageWalk(source: ObjectSource, wants: readonly ObjectId[]) {
  return (await walkObjects(source, new CommitCache(source), { wants, haves: [], boundary: new Set() }))
    .objects;
}

let work: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  work = await makeTempDir('mega-graph-walk-');
});
afterAll(async () => {
  await work.remove();
});

describe.each([false, true])('walks over a pushed pack graph (dates spread: %s)', (spreadDates) => {
  let dir: string;
  let loaded: Awaited<ReturnType<typeof load>>;
  let mirror: ObjectId[];
  let clone: ObjectId[];

  beforeAll(async () => {
    dir = join(work.path, `repo-${spreadDates}`);
    await makeBranchyRepository(dir, { spreadDates });
    loaded = await load(await packOf(dir, ['--all']));
    const refs = await refTargets(dir);
    mirror = refs.map(([, target]) => target as ObjectId);
    clone = refs
      .filter(([name]) => name.startsWith('refs/heads/') || name.startsWith('refs/tags/'))
      .map(([, target]) => target as ObjectId);
  });

  it('the pack has what the walk must get right: deltas of trees, a gitlink, tags of every kind', async () => {
    expect(
      [...loaded.deltaBases.keys()].some((id) => loaded.graph.typeOf(loaded.graph.find(id)) === 'tree'),
    ).toBe(true);
    const tree = await gitText(['ls-tree', 'HEAD', 'vendor/lib'], { cwd: dir });
    expect(tree).toMatch(/^160000 commit /);
    expect(mirror.length).toBeGreaterThan(clone.length);
  });

  it('lists exactly what walkObjects lists, in the same order, for both likely want sets', async () => {
    for (const wants of [mirror, clone, [...mirror].reverse(), mirror.slice(0, 3)]) {
      const expected = (await storageWalk(loaded.source, wants)).map(
        (object) => `${object.type} ${object.id}`,
      );
      const walked = walkGraph(loaded.graph, wants);
      expect(walked).toBeDefined();
      const actual = Array.from(
        walked!.order,
        (number) => `${loaded.graph.typeOf(number)} ${loaded.graph.idAt(number)}`,
      );
      expect(actual).toEqual(expected);
    }
  });

  it('orders delta bases first exactly as basesFirst does', async () => {
    for (const wants of [mirror, clone]) {
      const expected = basesFirst(await storageWalk(loaded.source, wants), loaded.deltaBases);
      expect(graphCloneWalk(loaded.graph, wants)).toEqual(expected);
    }
  });

  it('sends what git would: every object rev-list --objects lists, the gitlink commit not', async () => {
    const listed = await gitText(['rev-list', '--objects', '--all'], { cwd: dir });
    const expected = new Set(listed.split('\n').map((line) => line.slice(0, 40)));
    const walked = graphCloneWalk(loaded.graph, mirror)!;
    expect(new Set(walked.map((object) => object.id))).toEqual(expected);
    expect(walked).toHaveLength(expected.size);
  });

  it('gives each object the hint storage has for its graph number, and none where it has none', () => {
    const hintOf: GraphHintOf = (number) => (number % 3 === 0 ? undefined : storedObjectHint(number + 1));
    const walked = graphCloneWalk(loaded.graph, mirror, hintOf)!;
    expect(walked.map((object) => object.hint)).toEqual(
      walked.map((object) => hintOf(loaded.graph.find(object.id))),
    );
    expect(walked.some((object) => object.hint === undefined)).toBe(true);
    expect(walked.map(({ id, type }) => ({ id, type }))).toEqual(graphCloneWalk(loaded.graph, mirror));
  });
});

describe('a graph that does not hold everything', () => {
  it('gives no walk when the wants reach beyond the pack (a push that is not the whole repository)', async () => {
    const dir = join(work.path, 'partial');
    await makeBranchyRepository(dir);
    const head = (await gitText(['rev-parse', 'main'], { cwd: dir })) as ObjectId;
    const partial = await load(await packOf(dir, ['main'], { excluded: ['main~1'] }));
    expect(partial.graph.usable).toBe(true);
    expect(graphCloneWalk(partial.graph, [head])).toBeUndefined();
    expect(graphCloneWalk(partial.graph, ['f'.repeat(40) as ObjectId])).toBeUndefined();
    // What the pack holds whole still walks: the tree of the new commit alone.
    const tree = (await gitText(['rev-parse', 'main^{tree}'], { cwd: dir })) as ObjectId;
    const treeOnly = await load(await packOf(dir, ['main^{tree}']));
    expect(graphCloneWalk(treeOnly.graph, [tree])?.[0]).toEqual({ id: tree, type: 'tree' });
  });

  it('builds the same graph from raw ids as from hex ids', async () => {
    const dir = join(work.path, 'raw-ids');
    await makeBranchyRepository(dir);
    const pack = await packOf(dir, ['--all']);
    const { graph } = await load(pack);
    const fromRaw = new ObjectGraph(SHA1);
    await readPack(chunked(pack), {
      onObject: (object, content) => {
        // As a decode thread's batch holds them: the id, then the delta base's (or zeros).
        const rawIds = Buffer.alloc(41);
        rawIds.write(object.id, 1, 'hex');
        if (object.deltaBase) rawIds.write(object.deltaBase, 21, 'hex');
        fromRaw.add('not used' as ObjectId, object.type, content.data, object.deltaBase, rawIds, 1);
      },
    });
    expect(fromRaw.size).toBe(graph.size);
    for (let number = 0; number < graph.size; number++) {
      const same = fromRaw.find(graph.idAt(number));
      expect(fromRaw.typeOf(same)).toBe(graph.typeOf(number));
      const base = graph.deltaBaseOf(number);
      expect(fromRaw.deltaBaseOf(same)).toBe(base < 0 ? -1 : fromRaw.find(graph.idAt(base)));
      expect(fromRaw.childCount(same)).toBe(graph.childCount(number));
    }
  });

  it('drops everything past its memory budget, and at a tree it cannot parse', () => {
    const small = new ObjectGraph(SHA1, 64 * 1024);
    for (let i = 0; i < 10_000 && small.usable; i++) {
      small.add(i.toString(16).padStart(40, '0') as ObjectId, 'blob', Buffer.alloc(0));
    }
    expect(small.usable).toBe(false);
    expect(small.bytes).toBeLessThan(1024);
    expect(small.find('0'.repeat(40) as ObjectId)).toBe(-1);

    const broken = new ObjectGraph(SHA1);
    broken.add('a'.repeat(40) as ObjectId, 'tree', Buffer.from('100644 name-without-nul'));
    expect(broken.usable).toBe(false);
    const badMode = new ObjectGraph(SHA1);
    badMode.add(
      'a'.repeat(40) as ObjectId,
      'tree',
      Buffer.concat([Buffer.from('10x644 a\0'), Buffer.alloc(20)]),
    );
    expect(badMode.usable).toBe(false);
  });

  it('keeps commit times past 32 bits and a tree entry list longer than one arena chunk', () => {
    const graph = new ObjectGraph(SHA1);
    const tree = 'b'.repeat(40) as ObjectId;
    const commit = 'c'.repeat(40) as ObjectId;
    const ident = 'A <a@example.com> 99999999999999 +0000';
    graph.add(commit, 'commit', Buffer.from(`tree ${tree}\nauthor ${ident}\ncommitter ${ident}\n\nm\n`));
    const entries = 1_100_000;
    const entryBytes = '100644 f0000000\0'.length + 20;
    const data = Buffer.alloc(entries * entryBytes);
    for (let i = 0; i < entries; i++) {
      const at = i * entryBytes;
      data.write(`100644 f${String(i).padStart(7, '0')}\0`, at, 'latin1');
      data.writeUInt32BE(i, at + entryBytes - 4);
    }
    graph.add(tree, 'tree', data);
    expect(graph.usable).toBe(true);
    const number = graph.find(commit);
    expect(graph.commitTime(number)).toBe(99_999_999_999_999);
    expect(graph.childCount(graph.commitTree(number))).toBe(entries);
    expect(graph.idAt(graph.child(graph.commitTree(number), entries - 1))).toBe(
      `${'0'.repeat(32)}${(entries - 1).toString(16).padStart(8, '0')}`,
    );
  });
});
