import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForkingHistory } from '../../tests/support/forking-history.js';
import { gitText } from '../../tests/support/git-cli.js';
import { chunked, packOf } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { SHA1 } from '../git/object-format.js';
import { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import { readPack } from '../git/pack-reader.js';
import { planCommits } from './commit-closures.js';
import { graphBasesFirst, walkGraph, type GraphWalk } from './graph-walk.js';
import { tipBitmapsFromGraph, type TipBitmapBudgets } from './tip-reachability.js';

/**
 * The ref tip bitmaps of a first push on a history of many refs forking and merging (commit
 * times out of order, a revert, an octopus merge, an unrelated root, tags of tags, of a tree and
 * of a blob), against `git rev-list --objects`: every ref gets one, each exactly its closure, with
 * the fork points' bitmaps kept or not; past the budgets tips get none rather than a wrong one.
 */
describe('ref tip bitmaps over the walk of every ref', () => {
  let work: { path: string; remove: () => Promise<void> };
  let repo: string;
  let ids: ReadonlyMap<string, string>;
  let graph: ObjectGraph;
  let tips: Array<{ name: string; target: ObjectId }>;
  let walked: GraphWalk;
  let ordered: Int32Array;

  beforeAll(async () => {
    work = await makeTempDir('mega-commit-closures-');
    repo = join(work.path, 'forking.git');
    ids = await makeForkingHistory(repo);
    graph = new ObjectGraph(SHA1);
    await readPack(chunked(await packOf(repo, ['--all'])), {
      onObject: (object, content) => graph.add(object.id, object.type, content.data, object.deltaBase),
    });
    tips = (await gitText(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: repo }))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, target] = line.split(' ') as [string, ObjectId];
        return { name, target };
      });
    walked = walkGraph(
      graph,
      tips.map((tip) => tip.target),
    )!;
    ordered = graphBasesFirst(graph, walked.order, walked.picked);
  }, 60_000);
  afterAll(async () => {
    await work?.remove();
  });

  const closure = async (tip: string) =>
    (await gitText(['rev-list', '--objects', tip], { cwd: repo }))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40))
      .sort();
  const selected = (bits: Uint8Array) =>
    [...ordered]
      .filter((_, i) => ((bits[i >> 3] as number) >> (i & 7)) & 1)
      .map((number) => graph.idAt(number))
      .sort();
  const budgets = (overrides: Partial<TipBitmapBudgets>): TipBitmapBudgets => ({
    bitmapBytes: 1 << 20,
    junctionBytes: 1 << 20,
    workWalks: 3,
    workFloor: 0,
    ...overrides,
  });

  /** Each bitmap made is exactly its tip's closure; the tips that got one, by ref name. */
  async function exactBitmaps(bitmaps: Map<ObjectId, Uint8Array>): Promise<string[]> {
    for (const [tip, bits] of bitmaps) {
      expect(bits.length).toBe((ordered.length + 7) >> 3);
      expect(selected(bits), tip).toEqual(await closure(tip));
    }
    return tips.filter((tip) => bitmaps.has(tip.target)).map((tip) => tip.name);
  }

  it('gives every ref exactly its closure, within one walk and a half of work', async () => {
    expect(tips.length).toBeGreaterThan(20);
    const bitmaps = await tipBitmapsFromGraph(graph, walked, tips, budgets({ workWalks: 1.5 }));
    expect(await exactBitmaps(bitmaps)).toEqual(tips.map((tip) => tip.name));
  });

  it('without fork points kept, still every ref exactly (the walks go on below them)', async () => {
    const bitmaps = await tipBitmapsFromGraph(
      graph,
      walked,
      tips,
      budgets({ junctionBytes: 0, workWalks: 100 }),
    );
    expect(await exactBitmaps(bitmaps)).toEqual(tips.map((tip) => tip.name));
  });

  it('past the work budget the remaining tips get none, never a partial one', async () => {
    const bitmaps = await tipBitmapsFromGraph(graph, walked, tips, budgets({ workWalks: 0.3 }));
    const made = await exactBitmaps(bitmaps);
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThan(tips.length);
  });

  it('heads first when the bitmaps do not all fit their memory budget', async () => {
    const heads = tips.filter((tip) => tip.name.startsWith('refs/heads/'));
    const bytes = (ordered.length + 7) >> 3;
    const bitmaps = await tipBitmapsFromGraph(
      graph,
      walked,
      tips,
      budgets({ bitmapBytes: bytes * 2 * heads.length }),
    );
    // A tag at a head's tip shares its bitmap.
    const headTargets = new Set(heads.map((tip) => tip.target));
    expect(await exactBitmaps(bitmaps)).toEqual(
      tips.filter((tip) => headTargets.has(tip.target)).map((tip) => tip.name),
    );
    expect(bitmaps.size).toBe(heads.length);
  });

  it('computes the targets and the fork points two of their walks share, nothing else', () => {
    const number = (name: string) => graph.find(ids.get(name) as ObjectId);
    const computedOf = (targets: string[]) => {
      const plan = planCommits(graph, targets.map(number), new Int32Array(graph.size).fill(-1));
      // Parents first.
      const at = new Map([...plan.order].map((commit, k) => [commit, k]));
      for (const commit of plan.order) {
        for (let i = 0; i < graph.parentCount(commit); i++) {
          expect(at.get(graph.parent(commit, i))).toBeLessThan(at.get(commit)!);
        }
      }
      return new Set([...plan.order].filter((_, k) => plan.computed[k]).map((commit) => graph.idAt(commit)));
    };
    const named = (names: string[]) => new Set(names.map((name) => ids.get(name)));
    // The side line's fork point (main 20) is reached by main's walk alone, through both children.
    expect(computedOf(['main:60'])).toEqual(named(['main:60']));
    // b3 forks at main 9: main's and b3's walks meet there.
    expect(computedOf(['main:60', 'b3'])).toEqual(named(['main:60', 'b3', 'main:9']));
    // b9 forks off b4's tip, itself a target; b4 forks at main 12 and merges main 18.
    expect(computedOf(['main:60', 'b4', 'b9'])).toEqual(named(['main:60', 'b4', 'b9', 'main:12', 'main:18']));
  });
});
