import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import type { GraphHintOf, WalkedObject } from './served-repository.js';
import { MAX_TAG_HOPS } from './tag-target.js';

/**
 * The full-clone walk of a set of wants (no haves, no filter; `walkGraph`) computed from a
 * pushed pack's graph (`ObjectGraph`) instead of from storage: the first push of a repository
 * already parsed every tree once, so the walk recorded for its likely clones needs neither the
 * repository's trees read back nor its delta bases queried (issue 20). The order is
 * `walkObjects`' followed by `basesFirst` with the pack's delta bases, so the result is what
 * `recordLikelyCloneWalks` would record from storage; where storage kept an object whole that
 * the pack had as a delta (chains past storage's depth limit), its base is merely placed
 * earlier, which every pack order allows. Each object carries where storage keeps it when
 * `hintOf` knows. The hex ids are made here, once the walk's size is known (a walk the
 * recorder copies from another of the same size is never listed).
 */
export function graphWalkObjects(
  graph: ObjectGraph,
  walked: GraphWalk,
  hintOf?: GraphHintOf,
): WalkedObject[] {
  const ordered = graphBasesFirst(graph, walked.order, walked.picked);
  const objects: WalkedObject[] = new Array<WalkedObject>(ordered.length);
  for (let i = 0; i < ordered.length; i++) {
    const number = ordered[i] as number;
    const id = graph.idAt(number);
    const type = graph.typeOf(number)!;
    const hint = hintOf?.(number);
    objects[i] = hint === undefined ? { id, type } : { id, type, hint };
  }
  return objects;
}

/** The objects a set of wants reaches, as graph numbers in `walkObjects`' order, and which ones they are. */
export interface GraphWalk {
  readonly order: Int32Array;
  readonly picked: Uint8Array;
}

/**
 * The objects `wants` reach in the graph. Undefined when they reach an object the graph does
 * not hold (the pack was not the whole repository): the caller walks storage then.
 */
export function walkGraph(graph: ObjectGraph, wants: readonly ObjectId[]): GraphWalk | undefined {
  const picked = new Uint8Array(graph.size);
  const order = new Int32Array(graph.size);
  let count = 0;
  const pick = (number: number) => {
    if (picked[number]) return;
    picked[number] = 1;
    order[count++] = number;
  };
  const peeled = peelWants(graph, wants);
  if (!peeled) return undefined;
  const commits = walkCommits(graph, peeled.commits);
  if (!commits) return undefined;
  for (const commit of commits) pick(commit);
  for (const tag of peeled.tags) pick(tag);
  const roots = commits.map((commit) => graph.commitTree(commit));
  if (!walkTrees(graph, roots, picked, pick)) return undefined;
  if (!walkTrees(graph, peeled.trees, picked, pick)) return undefined;
  for (const blob of peeled.blobs) pick(blob);
  return { order: order.subarray(0, count), picked };
}

interface PeeledWants {
  readonly tags: number[];
  readonly commits: number[];
  readonly trees: number[];
  readonly blobs: number[];
}

/** `walkObjects`' `peelWant` over the graph: each want, through its tags, to what it names. */
function peelWants(graph: ObjectGraph, wants: readonly ObjectId[]): PeeledWants | undefined {
  const peeled: PeeledWants = { tags: [], commits: [], trees: [], blobs: [] };
  for (const want of wants) {
    let number = graph.find(want);
    for (let hops = 0; hops < MAX_TAG_HOPS; hops++) {
      const type = number < 0 ? undefined : graph.typeOf(number);
      if (type === undefined) return undefined;
      if (type === 'tag') {
        peeled.tags.push(number);
        number = graph.tagTarget(number);
        continue;
      }
      if (type === 'commit') peeled.commits.push(number);
      else if (type === 'tree') peeled.trees.push(number);
      else peeled.blobs.push(number);
      break;
    }
  }
  return peeled;
}

/**
 * `walkObjects`' date-ordered commit walk without haves: newest committer time first, ties in
 * the order the commits were queued. A parent the pack does not hold ends it (undefined); one
 * the pack holds as another type is skipped, as a commit read finds nothing there.
 */
function walkCommits(graph: ObjectGraph, starts: readonly number[]): number[] | undefined {
  const queued = new Uint8Array(graph.size);
  const queue = new CommitQueue(graph);
  const push = (number: number): boolean => {
    if (queued[number]) return true;
    const type = graph.typeOf(number);
    if (type === undefined) return false;
    if (type !== 'commit') return true;
    queued[number] = 1;
    queue.push(number);
    return true;
  };
  for (const start of starts) if (!push(start)) return undefined;
  const walked: number[] = [];
  for (let commit = queue.pop(); commit >= 0; commit = queue.pop()) {
    walked.push(commit);
    const parents = graph.parentCount(commit);
    for (let i = 0; i < parents; i++) if (!push(graph.parent(commit, i))) return undefined;
  }
  return walked;
}

/**
 * `walkObjects`' tree walk, level by level: a level's new trees in order, then the new blobs of
 * each of them in entry order. False when it meets an object the pack does not hold, or one
 * whose type is not what the entry's mode says.
 */
function walkTrees(
  graph: ObjectGraph,
  roots: readonly number[],
  picked: Uint8Array,
  pick: (number: number) => void,
): boolean {
  let level: readonly number[] = roots;
  while (level.length > 0) {
    const fresh: number[] = [];
    for (const tree of level) {
      if (picked[tree]) continue;
      if (graph.typeOf(tree) !== 'tree') return false;
      pick(tree);
      fresh.push(tree);
    }
    const next: number[] = [];
    for (const tree of fresh) {
      const entries = graph.childCount(tree);
      for (let i = 0; i < entries; i++) {
        const child = graph.child(tree, i);
        if (picked[child]) continue;
        if (graph.childIsTree(tree, i)) {
          next.push(child);
        } else {
          if (graph.typeOf(child) !== 'blob') return false;
          pick(child);
        }
      }
    }
    level = next;
  }
  return true;
}

/**
 * `basesFirst` over graph numbers: each object that the pack stores as a delta of another object
 * of the walk comes after that base (bases are pulled forward, chains included).
 */
export function graphBasesFirst(graph: ObjectGraph, order: Int32Array, inWalk: Uint8Array): Int32Array {
  const placed = new Uint8Array(graph.size);
  // Which object's chain a number was last put on: a cycle (corrupt data) ends the chain.
  const onChainOf = new Int32Array(graph.size);
  const ordered = new Int32Array(order.length);
  const chain: number[] = [];
  let count = 0;
  for (let i = 0; i < order.length; i++) {
    chain.length = 0;
    for (let next = order[i] as number; next >= 0 && !placed[next];) {
      if (onChainOf[next] === i + 1) break;
      onChainOf[next] = i + 1;
      chain.push(next);
      const base = graph.deltaBaseOf(next);
      next = base >= 0 && inWalk[base] ? base : -1;
    }
    for (let j = chain.length - 1; j >= 0; j--) {
      const number = chain[j] as number;
      placed[number] = 1;
      ordered[count++] = number;
    }
  }
  return ordered;
}

/**
 * The commit queue of `walkObjects` as a binary heap: newest committer time first, and among
 * equal times the commit queued first (its sorted insertion keeps ties in arrival order).
 */
class CommitQueue {
  private readonly heap: number[] = [];
  /** When each queued commit arrived (a commit is queued at most once). */
  private readonly arrival: Int32Array;
  private arrivals = 0;

  constructor(private readonly graph: ObjectGraph) {
    this.arrival = new Int32Array(graph.size);
  }

  push(commit: number): void {
    this.arrival[commit] = this.arrivals++;
    const heap = this.heap;
    let at = heap.length;
    heap.push(commit);
    while (at > 0) {
      const up = (at - 1) >> 1;
      if (!this.before(commit, heap[up] as number)) break;
      heap[at] = heap[up] as number;
      at = up;
    }
    heap[at] = commit;
  }

  /** The next commit, or -1 when the queue is empty. */
  pop(): number {
    const heap = this.heap;
    if (heap.length === 0) return -1;
    const first = heap[0] as number;
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let at = 0;
      for (;;) {
        const left = at * 2 + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child =
          right < heap.length && this.before(heap[right] as number, heap[left] as number) ? right : left;
        if (!this.before(heap[child] as number, last)) break;
        heap[at] = heap[child] as number;
        at = child;
      }
      heap[at] = last;
    }
    return first;
  }

  private before(a: number, b: number): boolean {
    const timeA = this.graph.commitTime(a);
    const timeB = this.graph.commitTime(b);
    if (timeA !== timeB) return timeA > timeB;
    return (this.arrival[a] as number) < (this.arrival[b] as number);
  }
}
