import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import { graphBasesFirst, type GraphWalk } from './graph-walk.js';
import { MAX_TAG_HOPS } from './tag-target.js';

/**
 * Per-tip bitmaps over a recorded walk's positions (issue 20, item 2), built from a first push's
 * graph while the recorder has it: for each ref tip, which entries of the walk of every ref (the
 * `--mirror` want set) the tip reaches. The walk of any set of tips is then that record's entries
 * of the union of their bitmaps (`CloneWalkStore.reachableFrom`): `git clone --single-branch
 * --branch <other>` and a fetch of some refs into an empty repository read no tree.
 *
 * Each bitmap is a closure: a tip's tags, commits, their root trees, and everything below. Tips
 * are computed oldest commit first, and a commit walk stops at a commit already computed, OR-ing
 * its bitmap instead; a tree walk stops at a set bit (its subtree is in already). So a tag on an
 * old commit costs the commits since the previous tag and their new trees, as git's bitmap
 * writer reuses bitmaps of ancestors.
 */

/** Memory the bitmaps being built may take (a bitmap is one bit per recorded object). */
export const BITMAP_BUDGET_BYTES = 32 * 1024 * 1024;
/**
 * Objects visited in all, in multiples of the walk's size plus a floor (a small repository's
 * tips are cheap whatever their order): past it the remaining tips get none. Commit times out of
 * order (a tip older than its ancestor) cost a walk down to the root per such tip.
 */
const WORK_BUDGET_WALKS = 8;
const WORK_BUDGET_FLOOR = 1_000_000;
/** The event loop gets a turn this often while bitmaps are built (clones go on meanwhile). */
const YIELD_EVERY_MS = 20;

/**
 * The bitmaps of `tips` over the record `walked` lists (in `graphWalkObjects`' order), by tip.
 * Heads first when not all fit the budgets; a tip whose bitmap cannot be made gets none (a clone
 * of it walks).
 */
export async function tipBitmapsFromGraph(
  graph: ObjectGraph,
  walked: GraphWalk,
  tips: ReadonlyArray<{ readonly name: string; readonly target: ObjectId }>,
): Promise<Map<ObjectId, Uint8Array>> {
  const ordered = graphBasesFirst(graph, walked.order, walked.picked);
  const position = new Int32Array(graph.size).fill(-1);
  for (let i = 0; i < ordered.length; i++) position[ordered[i] as number] = i;
  const builder = new ClosureBuilder(graph, position, ordered.length);

  // Heads first, then the rest; each tip once. Two bitmaps a tip at most (its target's, a copy).
  const byPriority = [...tips].sort((a, b) => rank(a.name) - rank(b.name));
  const limit = Math.max(0, Math.floor(BITMAP_BUDGET_BYTES / builder.bytes / 2));
  const chosen: Array<{ tip: ObjectId; tags: number[]; target: number }> = [];
  const seen = new Set<ObjectId>();
  for (const { target: tip } of byPriority) {
    if (chosen.length >= limit) break;
    if (seen.has(tip)) continue;
    seen.add(tip);
    const peeled = peel(graph, tip);
    if (peeled) chosen.push({ tip, ...peeled });
  }
  // Oldest commits first: their bitmaps are there when a newer tip's commit walk reaches them.
  const targets = [...new Set(chosen.map((entry) => entry.target))].sort(
    (a, b) => timeOf(graph, a) - timeOf(graph, b),
  );
  const closures = new Map<number, Uint8Array>();
  let lastYield = Date.now();
  for (const target of targets) {
    const closure = builder.closure(target, WORK_BUDGET_WALKS * ordered.length + WORK_BUDGET_FLOOR);
    if (closure) closures.set(target, closure);
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
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

function rank(name: string): number {
  return name.startsWith('refs/heads/') ? 0 : 1;
}

function timeOf(graph: ObjectGraph, number: number): number {
  return graph.typeOf(number) === 'commit' ? graph.commitTime(number) : 0;
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

/** Closures as bitmaps over record positions, reusing the commits' computed so far. */
class ClosureBuilder {
  readonly bytes: number;
  private readonly commits = new Map<number, Uint8Array>();
  private visited = 0;

  constructor(
    private readonly graph: ObjectGraph,
    private readonly position: Int32Array,
    count: number,
  ) {
    this.bytes = Math.max(1, (count + 7) >> 3);
  }

  /** Sets `number`'s bit; false when the record does not hold it. */
  set(bits: Uint8Array, number: number): boolean {
    const at = this.position[number] as number;
    if (at < 0) return false;
    bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
    return true;
  }

  /**
   * Everything `target` (a commit, tree or blob) reaches; undefined when the record does not
   * hold all of it or the work done so far passed `workLimit`.
   */
  closure(target: number, workLimit: number): Uint8Array | undefined {
    if (this.visited > workLimit) return undefined;
    const graph = this.graph;
    const bits = new Uint8Array(this.bytes);
    const type = graph.typeOf(target);
    const trees: number[] = [];
    if (type === 'blob') return this.set(bits, target) ? bits : undefined;
    if (type === 'tree') trees.push(target);
    else if (type !== 'commit') return undefined;
    else if (!this.commitWalk(bits, target, trees)) return undefined;
    if (!this.treeWalk(bits, trees)) return undefined;
    if (type === 'commit') this.commits.set(target, bits);
    return bits;
  }

  /** The commits `start` reaches, their root trees into `trees`; computed commits OR-ed in. */
  private commitWalk(bits: Uint8Array, start: number, trees: number[]): boolean {
    const graph = this.graph;
    const stack = [start];
    for (let commit = stack.pop(); commit !== undefined; commit = stack.pop()) {
      this.visited++;
      const at = this.position[commit] as number;
      if (at < 0) return false;
      if (((bits[at >> 3] as number) >> (at & 7)) & 1) continue;
      const known = this.commits.get(commit);
      if (known) {
        for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] as number) | (known[i] as number);
        continue;
      }
      bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
      trees.push(graph.commitTree(commit));
      const parents = graph.parentCount(commit);
      // A parent the pack holds as another type is skipped, as `walkGraph` does.
      for (let i = 0; i < parents; i++) {
        const parent = graph.parent(commit, i);
        if (graph.typeOf(parent) === 'commit') stack.push(parent);
      }
    }
    return true;
  }

  /** The trees `roots` reach and their blobs; a tree whose bit is set has its subtree set already. */
  private treeWalk(bits: Uint8Array, roots: number[]): boolean {
    const graph = this.graph;
    const stack = roots;
    for (let tree = stack.pop(); tree !== undefined; tree = stack.pop()) {
      this.visited++;
      const at = this.position[tree] as number;
      if (at < 0) return false;
      if (((bits[at >> 3] as number) >> (at & 7)) & 1) continue;
      bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
      const entries = graph.childCount(tree);
      for (let i = 0; i < entries; i++) {
        const child = graph.child(tree, i);
        if (graph.childIsTree(tree, i)) {
          stack.push(child);
          continue;
        }
        this.visited++;
        if (!this.set(bits, child)) return false;
      }
    }
    return true;
  }
}
