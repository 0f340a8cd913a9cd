import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import { graphBasesFirst, type GraphWalk } from './graph-walk.js';
import { MAX_TAG_HOPS } from './tag-target.js';
import { ClosureBuilder, planCommits } from './commit-closures.js';

/**
 * Per-tip bitmaps over a recorded walk's positions (issue 20, item 2), built from a first push's
 * graph while the recorder has it: for each ref tip, which entries of the walk of every ref (the
 * `--mirror` want set) the tip reaches. The walk of any set of tips is then that record's entries
 * of the union of their bitmaps (`CloneWalkStore.reachableFrom`): `git clone --single-branch
 * --branch <other>` and a fetch of some refs into an empty repository read no tree.
 *
 * Each bitmap is a closure: a tip's tags, commits, their root trees, and everything below. The
 * commits are computed parents first, reusing the bitmaps of the tips and fork points below them
 * (`commit-closures.ts`): all the tips of a push cost about one walk of what they reach.
 */

/** Memory the tips' bitmaps may take (a bitmap is one bit per recorded object). */
export const BITMAP_BUDGET_BYTES = 32 * 1024 * 1024;
/** Memory the bitmaps of fork points kept for the walks above them may take at once. */
const JUNCTION_BUDGET_BYTES = 8 * 1024 * 1024;
/**
 * Objects visited in all, in multiples of what one walk of the record visits (its objects and
 * its trees' entries) plus a floor: past it the remaining tips get none. Each commit and tree is
 * walked about once; a tree is walked again on a branch that does not reach it through a
 * computed commit (a revert, a file copied between branches).
 */
const WORK_BUDGET_WALKS = 3;
const WORK_BUDGET_FLOOR = 1_000_000;
/** The event loop gets a turn this often while bitmaps are built (clones go on meanwhile). */
const YIELD_EVERY_MS = 20;

/** Limits of one build (tests make them small). */
export interface TipBitmapBudgets {
  readonly bitmapBytes: number;
  readonly junctionBytes: number;
  readonly workWalks: number;
  readonly workFloor: number;
}

const DEFAULT_BUDGETS: TipBitmapBudgets = {
  bitmapBytes: BITMAP_BUDGET_BYTES,
  junctionBytes: JUNCTION_BUDGET_BYTES,
  workWalks: WORK_BUDGET_WALKS,
  workFloor: WORK_BUDGET_FLOOR,
};

/**
 * The bitmaps of `tips` over the record `walked` lists (in `graphWalkObjects`' order), by tip.
 * Heads first when not all fit the memory budget; a tip whose bitmap cannot be made gets none (a
 * clone of it walks).
 */
export async function tipBitmapsFromGraph(
  graph: ObjectGraph,
  walked: GraphWalk,
  tips: ReadonlyArray<{ readonly name: string; readonly target: ObjectId }>,
  budgets: TipBitmapBudgets = DEFAULT_BUDGETS,
): Promise<Map<ObjectId, Uint8Array>> {
  const ordered = graphBasesFirst(graph, walked.order, walked.picked);
  const position = new Int32Array(graph.size).fill(-1);
  for (let i = 0; i < ordered.length; i++) position[ordered[i] as number] = i;
  const builder = new ClosureBuilder(graph, position, ordered.length, budgets.junctionBytes);
  const chosen = chooseTips(graph, tips, Math.floor(budgets.bitmapBytes / builder.bytes / 2));
  const closures = await targetClosures(
    graph,
    builder,
    chosen.map((entry) => entry.target),
    budgets.workWalks * walkVisits(graph, ordered) + budgets.workFloor,
  );
  const bitmaps = new Map<ObjectId, Uint8Array>();
  for (const { tip, tags, target } of chosen) {
    const closure = closures.get(target);
    if (!closure) continue;
    if (tags.length === 0) {
      bitmaps.set(tip, closure);
      continue;
    }
    const bits = closure.slice();
    if (tags.every((tag) => builder.set(bits, tag))) bitmaps.set(tip, bits);
  }
  return bitmaps;
}

interface ChosenTip {
  readonly tip: ObjectId;
  readonly tags: number[];
  readonly target: number;
}

/** Heads first, then the rest; each tip once, at most `limit` (two bitmaps a tip at most). */
function chooseTips(
  graph: ObjectGraph,
  tips: ReadonlyArray<{ readonly name: string; readonly target: ObjectId }>,
  limit: number,
): ChosenTip[] {
  const byPriority = [...tips].sort((a, b) => rank(a.name) - rank(b.name));
  const chosen: ChosenTip[] = [];
  const seen = new Set<ObjectId>();
  for (const { target: tip } of byPriority) {
    if (chosen.length >= limit) break;
    if (seen.has(tip)) continue;
    seen.add(tip);
    const peeled = peel(graph, tip);
    if (peeled) chosen.push({ tip, ...peeled });
  }
  return chosen;
}

/** What one walk of the record visits: its objects and its trees' entries. */
function walkVisits(graph: ObjectGraph, ordered: Int32Array): number {
  let visits = ordered.length;
  for (const number of ordered) if (graph.typeOf(number) === 'tree') visits += graph.childCount(number);
  return visits;
}

/**
 * The closure of each target (commits parents first, then trees and blobs), by graph number;
 * none past `workLimit` objects visited.
 */
async function targetClosures(
  graph: ObjectGraph,
  builder: ClosureBuilder,
  targets: readonly number[],
  workLimit: number,
): Promise<Map<number, Uint8Array>> {
  const closures = new Map<number, Uint8Array>();
  const unique = [...new Set(targets)];
  const commits = unique.filter((target) => graph.typeOf(target) === 'commit');
  const isTarget = new Set(commits);
  const plan = planCommits(graph, commits, new Int32Array(graph.size).fill(-1));
  let lastYield = Date.now();
  for (let k = 0; k < plan.order.length; k++) {
    if (!plan.computed[k]) continue;
    if (builder.visited > workLimit) break;
    const commit = plan.order[k] as number;
    const target = isTarget.has(commit);
    const closure = builder.commit(commit, target, plan.children[k] as number);
    if (closure && target) closures.set(commit, closure);
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  for (const target of unique) {
    if (isTarget.has(target) || builder.visited > workLimit) continue;
    const closure = builder.treeOrBlob(target);
    if (closure) closures.set(target, closure);
  }
  return closures;
}

function rank(name: string): number {
  return name.startsWith('refs/heads/') ? 0 : 1;
}

/** A tip's tags (outermost first) and what they name, as `walkGraph` peels a want. */
function peel(graph: ObjectGraph, tip: ObjectId): { tags: number[]; target: number } | undefined {
  const tags: number[] = [];
  let number = graph.find(tip);
  for (let hops = 0; hops < MAX_TAG_HOPS; hops++) {
    const type = number < 0 ? undefined : graph.typeOf(number);
    if (type === undefined) return undefined;
    if (type !== 'tag') return { tags, target: number };
    tags.push(number);
    number = graph.tagTarget(number);
  }
  // A chain longer than the walk follows: what the walk sends for it is not a closure.
  return undefined;
}
