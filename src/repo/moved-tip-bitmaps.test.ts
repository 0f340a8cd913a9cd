import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommit } from '../git/commit.js';
import { parseIdent } from '../git/ident.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import { gitText } from '../../tests/support/git-cli.js';
import { dumpObjects } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import {
  makeVariedHistory,
  type VariedHistory,
  type VariedName,
} from '../../tests/support/varied-history.js';
import { extendRecordedWalk } from './clone-walk-extension.js';
import { CommitCache } from './common-commits.js';
import { movedTipBitmaps } from './moved-tip-bitmaps.js';
import { walkObjects } from './object-walk.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';
import { completeObjectSource } from './single-read-objects.js';

/**
 * Bitmaps of moved and new tips over an extended walk, against `git rev-list --objects` on the
 * varied history (merges, moved subtrees, a blob copied from elsewhere, unrelated histories,
 * annotated tags): each bitmap made is exactly its tip's closure, and what cannot be derived
 * (a rewind, a diverged ref, a new ref at an inner commit, a missing old bitmap, the budget) gets none.
 */
describe('movedTipBitmaps', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let repo: string;
  let history: VariedHistory;
  let source: ObjectSource;

  beforeAll(async () => {
    temp = await makeTempDir('mega-moved-tips-');
    repo = join(temp.path, 'repo');
    history = await makeVariedHistory(repo);
    const stored = await dumpObjects(repo);
    source = completeObjectSource({
      hasObjects: async (ids) => new Set(ids.filter((id) => stored.has(id))),
      readObject: async (id) => {
        const object = stored.get(id);
        return object && { type: object.type as ObjectType, content: object.data };
      },
      readCommit: async (id) => {
        const object = stored.get(id);
        if (object?.type !== 'commit') return undefined;
        const commit = parseCommit(object.data);
        return {
          id,
          tree: commit.tree,
          parents: commit.parents,
          committerTime: parseIdent(commit.committer).timestamp,
        };
      },
    });
  }, 60_000);
  afterAll(async () => {
    await temp?.remove();
  });

  const id = (name: VariedName) => history[name] as ObjectId;
  const closure = async (tip: ObjectId) =>
    (await gitText(['rev-list', '--objects', tip], { cwd: repo }))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40))
      .sort();

  /**
   * The walk of `before` recorded with a bitmap for each of `before` (or `tipped`), extended to
   * `after`: the bitmaps derived, as the sorted ids each selects, by tip.
   */
  async function derive(
    before: readonly VariedName[],
    after: readonly VariedName[],
    options: {
      moves?: Array<[to: VariedName, from: VariedName]>;
      tipped?: readonly VariedName[];
      budget?: number;
    } = {},
  ): Promise<Map<ObjectId, string[]>> {
    const previous = before.map(id);
    const wants = after.map(id);
    const full = await walkObjects(source, new CommitCache(source), {
      wants: previous,
      haves: [],
      boundary: new Set(),
    });
    const recorded: WalkedObject[] = [...full.objects];
    const at = new Map(recorded.map((object, index) => [object.id, index]));
    const bitmaps = new Map<ObjectId, Uint8Array>();
    for (const tip of (options.tipped ?? before).map(id)) {
      const bits = new Uint8Array((recorded.length + 7) >> 3);
      for (const reached of await closure(tip)) {
        const index = at.get(reached as ObjectId)!;
        bits[index >> 3] = (bits[index >> 3] as number) | (1 << (index & 7));
      }
      bitmaps.set(tip, bits);
    }
    const view = {
      objectCount: recorded.length,
      among: (ids: readonly ObjectId[]) => new Set(ids.filter((one) => at.has(one))),
      positions: (ids: readonly ObjectId[]) =>
        new Map(ids.flatMap((one) => (at.has(one) ? [[one, at.get(one)!] as const] : []))),
      bitmapTips: async () => new Set(bitmaps.keys()),
      orTipBitmaps: async (tips: readonly ObjectId[], bits: Uint8Array) => {
        for (const tip of tips) {
          const stored = bitmaps.get(tip);
          if (!stored) return false;
          for (let i = 0; i < stored.length; i++) bits[i] = (bits[i] as number) | (stored[i] as number);
        }
        return true;
      },
    };
    const extension = await extendRecordedWalk(source, view, previous, wants);
    expect(extension, `${before.join(',')} → ${after.join(',')} extends`).toBeDefined();
    const extended = [...recorded, ...extension!.appended];
    const moves = new Map((options.moves ?? []).map(([to, from]) => [id(to), id(from)]));
    const derived = await movedTipBitmaps(source, view, previous, wants, extension!, moves, options.budget);
    const selected = new Map<ObjectId, string[]>();
    for (const [tip, bits] of derived) {
      expect(bits.length).toBe((extended.length + 7) >> 3);
      const ids = extended.filter((_, index) => ((bits[index >> 3] as number) >> (index & 7)) & 1);
      selected.set(tip, ids.map((object) => object.id).sort());
    }
    return selected;
  }

  /** Every bitmap made is exactly its tip's closure; `expected` got one. */
  async function expectDerived(derived: Map<ObjectId, string[]>, expected: readonly VariedName[]) {
    for (const [tip, ids] of derived) expect(ids, tip).toEqual(await closure(tip));
    expect([...derived.keys()].sort()).toEqual(expected.map(id).sort());
  }

  it('a fast-forward: moved subtrees, a blob copied from elsewhere', async () => {
    await expectDerived(await derive(['c6', 'o1'], ['c8', 'o1'], { moves: [['c8', 'c6']] }), ['c8']);
    await expectDerived(await derive(['c5'], ['c6'], { moves: [['c6', 'c5']] }), ['c6']);
  });

  it('merges: of a branch whose tip has a bitmap, of new commits, of an inner commit of another branch', async () => {
    await expectDerived(await derive(['c4', 't2'], ['c5', 't2'], { moves: [['c5', 'c4']] }), ['c5']);
    await expectDerived(await derive(['c4'], ['c5'], { moves: [['c5', 'c4']] }), ['c5']);
    // m1 merges c4, which only main's tip c5 reaches: walked against o1 alone.
    await expectDerived(await derive(['c5', 'o1'], ['c5', 'm1'], { moves: [['m1', 'o1']] }), ['m1']);
    // Without knowing where the ref was, that one cannot be covered.
    await expectDerived(await derive(['c5', 'o1'], ['c5', 'm1']), []);
  });

  it('new refs: off a tip, an annotated tag, an unrelated root; none at an inner commit', async () => {
    await expectDerived(await derive(['c6'], ['c6', 'c8']), ['c8']);
    await expectDerived(await derive(['c6'], ['c6', 'v2']), ['v2']);
    // o1 holds a tree main has: sent again, located in the record.
    await expectDerived(await derive(['c8'], ['c8', 'o1']), ['o1']);
    await expectDerived(await derive(['c8'], ['c8', 'c6']), []);
  });

  it('a ref said to move from a tip it does not descend from gets none', async () => {
    // Recorded: main at c8 and a ref at t1; the ref now names c3 (in the record, not after t1).
    await expectDerived(await derive(['c8', 't1'], ['c8', 't1', 'c3'], { moves: [['c3', 't1']] }), []);
    await expectDerived(await derive(['c8', 't1'], ['c8', 't1', 'c4'], { moves: [['c4', 't1']] }), []);
  });

  it('a missing old bitmap, or a budget too small, leaves the tip without one', async () => {
    await expectDerived(
      await derive(['c6', 'o1'], ['c8', 'o1'], { moves: [['c8', 'c6']], tipped: ['o1'] }),
      [],
    );
    // Two new tips: each walked on its own, within the budget or not at all.
    await expectDerived(await derive(['c6'], ['c6', 'c8', 'v2'], { budget: 3 }), []);
    await expectDerived(await derive(['c6'], ['c6', 'c8', 'v2'], { budget: 100 }), ['c8', 'v2']);
  });
});
