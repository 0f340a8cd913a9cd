import type { ObjectGraph } from '../git/object-graph.js';

/**
 * Closures of commits as bitmaps over a record's positions (issue 20, item 2), for many commits
 * at once at about the cost of one walk of everything they reach: the ref tip bitmaps of a first
 * push (`tip-reachability.ts`).
 *
 * The commits the targets reach are taken in topological order, parents first, so every commit
 * whose bitmap a later one reuses is done by then, whatever the commit times say. Bitmaps are
 * computed for the targets and for the **junctions**: commits that the walks of two different
 * targets (or junctions) would go through, such as the fork point of two branches (git's bitmap
 * writer picks its commits for the same reason). Every other commit lies on the way of exactly
 * one computed commit, so each commit is walked once in all: a walk stops at a computed commit
 * and ORs its bitmap, and a tree walk stops at a tree already set (its subtree is in). A
 * junction's bitmap is dropped once every child that reaches it has been walked.
 */

/** The commits `targets` reach (parents in the graph), parents first; junctions marked. */
export interface CommitPlan {
  /** Commit numbers in topological order, parents before children. */
  readonly order: Int32Array;
  /** 1 where `order[i]` gets a bitmap: a target or a junction. */
  readonly computed: Uint8Array;
  /** How many children (in the plan) each `order[i]` has: the walks that will reach it. */
  readonly children: Int32Array;
}

const UNSEEN = -1;
const ON_STACK = -2;

/**
 * The plan of `targets` (commit numbers). `indexOf` (one entry a graph number, filled with -1)
 * gets each planned commit's index in `order`. A parent the graph holds as another type is
 * skipped, as `walkGraph` does; a cycle (corrupt data) is cut where it closes.
 */
export function planCommits(graph: ObjectGraph, targets: readonly number[], indexOf: Int32Array): CommitPlan {
  const order: number[] = [];
  const stack: number[] = [];
  const nextParent: number[] = [];
  for (const target of targets) {
    if (indexOf[target] !== UNSEEN) continue;
    indexOf[target] = ON_STACK;
    stack.push(target);
    nextParent.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const commit = stack[top] as number;
      const i = nextParent[top] as number;
      if (i < graph.parentCount(commit)) {
        nextParent[top] = i + 1;
        const parent = graph.parent(commit, i);
        if (indexOf[parent] !== UNSEEN || graph.typeOf(parent) !== 'commit') continue;
        indexOf[parent] = ON_STACK;
        stack.push(parent);
        nextParent.push(0);
        continue;
      }
      stack.pop();
      nextParent.pop();
      indexOf[commit] = order.length;
      order.push(commit);
    }
  }
  return markJunctions(graph, Int32Array.from(order), new Set(targets), indexOf);
}

/**
 * Children first: each commit's owner is the one computed commit whose walk reaches it; a commit
 * two owners reach is a junction and owns itself.
 */
function markJunctions(
  graph: ObjectGraph,
  order: Int32Array,
  targets: ReadonlySet<number>,
  indexOf: Int32Array,
): CommitPlan {
  const count = order.length;
  const owner = new Int32Array(count).fill(UNSEEN);
  const shared = new Uint8Array(count);
  const computed = new Uint8Array(count);
  const children = new Int32Array(count);
  for (let k = count - 1; k >= 0; k--) {
    const commit = order[k] as number;
    if (shared[k] || owner[k] === UNSEEN || targets.has(commit)) computed[k] = 1;
    const own = computed[k] ? k : (owner[k] as number);
    const parents = graph.parentCount(commit);
    for (let i = 0; i < parents; i++) {
      const j = indexOf[graph.parent(commit, i)] as number;
      // Not planned (another type), or a cycle's back edge (corrupt data): not a child.
      if (j < 0 || j >= k) continue;
      children[j] = (children[j] as number) + 1;
      if (owner[j] === UNSEEN) owner[j] = own;
      else if (owner[j] !== own) shared[j] = 1;
    }
  }
  return { order, computed, children };
}

/** Commit closures as bitmaps over record positions, reusing the computed commits' ones. */
export class ClosureBuilder {
  readonly bytes: number;
  /** Objects visited so far: the build's work. */
  visited = 0;
  private readonly commits = new Map<number, Uint8Array>();
  /** Junctions' bitmaps (not targets'): walks still to reach each, and their bytes in all. */
  private readonly pending = new Map<number, number>();
  private pendingBytes = 0;

  /**
   * `position`: each graph number's index in the record, -1 when it holds none. `junctionBytes`:
   * what junctions' bitmaps kept for later walks may take at once (past it a junction is not kept
   * and the walks through it go on below: more work, the same bitmaps).
   */
  constructor(
    private readonly graph: ObjectGraph,
    private readonly position: Int32Array,
    count: number,
    private readonly junctionBytes: number,
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
   * The closure of `commit`; undefined when the record does not hold all of it. A target's
   * bitmap is kept for good; a junction's until `walksLeft` walks have reached it.
   */
  commit(commit: number, target: boolean, walksLeft: number): Uint8Array | undefined {
    const bits = new Uint8Array(this.bytes);
    const trees: number[] = [];
    const reached: number[] = [];
    const complete = this.commitWalk(bits, commit, trees, reached) && this.treeWalk(bits, trees);
    for (const junction of reached) this.reachedOnce(junction);
    if (!complete) return undefined;
    if (target) {
      this.commits.set(commit, bits);
    } else if (walksLeft > 0 && this.pendingBytes + this.bytes <= this.junctionBytes) {
      this.commits.set(commit, bits);
      this.pending.set(commit, walksLeft);
      this.pendingBytes += this.bytes;
    }
    return bits;
  }

  /** Everything a tree or a blob reaches; undefined when the record does not hold all of it. */
  treeOrBlob(number: number): Uint8Array | undefined {
    const bits = new Uint8Array(this.bytes);
    if (this.graph.typeOf(number) === 'blob') return this.set(bits, number) ? bits : undefined;
    return this.treeWalk(bits, [number]) ? bits : undefined;
  }

  /** One more walk reached a junction through one of its children: dropped after the last. */
  private reachedOnce(junction: number): void {
    const left = this.pending.get(junction);
    if (left === undefined) return;
    if (left > 1) {
      this.pending.set(junction, left - 1);
      return;
    }
    this.pending.delete(junction);
    this.commits.delete(junction);
    this.pendingBytes -= this.bytes;
  }

  /**
   * The commits `start` reaches, their root trees into `trees`; computed commits OR-ed in, and
   * each computed parent met listed in `reached` once per child walked.
   */
  private commitWalk(bits: Uint8Array, start: number, trees: number[], reached: number[]): boolean {
    const graph = this.graph;
    const stack = [start];
    for (let commit = stack.pop(); commit !== undefined; commit = stack.pop()) {
      this.visited++;
      const at = this.position[commit] as number;
      if (at < 0) return false;
      if (((bits[at >> 3] as number) >> (at & 7)) & 1) continue;
      const known = commit === start ? undefined : this.commits.get(commit);
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
        if (graph.typeOf(parent) !== 'commit') continue;
        if (this.pending.has(parent)) reached.push(parent);
        stack.push(parent);
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
