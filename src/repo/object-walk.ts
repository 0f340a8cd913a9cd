import type { ObjectId } from '../git/object-id.js';
import type { ObjectFilter } from '../git/protocol/filter-spec.js';
import { MAX_TAG_HOPS, readTagTarget } from './tag-target.js';
import { notFound } from '../platform/errors.js';
import type { CommitCache } from './common-commits.js';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';
import { TreeWalk } from './tree-walk.js';
import { includedTags, walkListOf, type TagPeel } from './walk-list.js';

export interface WalkInput {
  /** Wanted objects (any type; tags are peeled and sent). */
  readonly wants: readonly ObjectId[];
  /** Objects the client has: common haves (and unshallowed commits). */
  readonly haves: readonly ObjectId[];
  /** Commits whose parents are not followed (shallow boundaries). */
  readonly boundary: ReadonlySet<ObjectId>;
  /**
   * The client's shallow commits: what it has stops there, so "the client has it" is not
   * propagated to their parents (which it may be about to receive).
   */
  readonly clientShallow?: ReadonlySet<ObjectId>;
  readonly filter?: ObjectFilter;
  /**
   * Objects the walk may select (commits counted as they are found): past it the walk fails
   * with `walk_too_large`. Default MAX_WALK_OBJECTS commits, trees and blobs unbounded.
   */
  readonly limit?: number;
  /**
   * Told about stored objects the walk cannot follow (a `40000` entry naming a blob, a tree
   * that does not parse): the walk sends what it can and goes on instead of failing the fetch.
   * Default: a process warning.
   */
  readonly onDamaged?: (problem: string) => void;
}

export interface WalkResult {
  readonly objects: readonly WalkedObject[];
  /**
   * Trees and blobs the client has that the walk read: the trees of the uninteresting parents of
   * sent commits at the paths that changed, and their entries. Thin-pack delta bases.
   */
  readonly clientHas: ReadonlySet<ObjectId>;
  /** The uninteresting parents of sent commits: the client's commits next to the sent ones. */
  readonly edges: readonly ObjectId[];
}

/** Objects one walk may select or visit (a bound for memory). */
export const MAX_WALK_OBJECTS = 20_000_000;

/**
 * git's `rev-list --objects <wants> --not <haves>` with shallow boundaries and object filters:
 * commits newest first (date-ordered walk that propagates "the client has it" to ancestors),
 * then tags, then trees and blobs in the order the commits reach them. include-tag's tags are
 * added by `withIncludedTags`.
 *
 * Trees and blobs are a superset of rev-list's: what the client has is learnt by comparing the
 * sent trees with the client's commits next to them (`TreeWalk`), not by reading every tree of
 * every have, so an object the client holds only elsewhere is sent again. The cost of a fetch
 * follows what changed, not the size of the repository or the number of haves.
 */
export async function walkObjects(
  objects: ObjectSource,
  commits: CommitCache,
  input: WalkInput,
): Promise<WalkResult> {
  const chosen: WalkedObject[] = [];
  const selected = new Set<ObjectId>();
  const pick = (id: ObjectId, type: ObjectType) => {
    if (selected.has(id)) return;
    selected.add(id);
    chosen.push({ id, type });
    if (input.limit !== undefined && chosen.length > input.limit) throw tooLarge();
  };
  const tags: WalkedObject[] = [];
  const startCommits: ObjectId[] = [];
  const explicitTrees: ObjectId[] = [];
  const explicitBlobs: ObjectId[] = [];
  for (const want of input.wants)
    await peelWant(objects, commits, want, { tags, startCommits, explicitTrees, explicitBlobs });
  const { interesting, edges } = await walkCommits(commits, startCommits, input);
  for (const commit of interesting) pick(commit.id, 'commit');
  for (const tag of tags) pick(tag.id, 'tag');

  const treeWalk = new TreeWalk(objects, {
    ...(input.filter ? { filter: input.filter } : {}),
    pick,
    onDamaged: input.onDamaged ?? warnDamaged,
  });
  // The trees of the client's commits next to the sent ones, compared path by path.
  await treeWalk.walk(
    interesting.map((commit) => commit.tree),
    edges.map((edge) => edge.tree),
  );
  await treeWalk.walk(explicitTrees, [], true);
  for (const id of explicitBlobs) pick(id, 'blob');
  return { objects: chosen, clientHas: treeWalk.clientHas, edges: edges.map((edge) => edge.id) };
}

/**
 * include-tag (protocol-capabilities.txt): the walk's objects plus, at the end, every annotated
 * tag whose target is sent and which is not sent itself.
 */
export function withIncludedTags(
  objects: readonly WalkedObject[],
  tags: readonly TagPeel[],
): readonly WalkedObject[] {
  const added = includedTags(walkListOf(objects), tags);
  return added.length === 0 ? objects : [...objects, ...added.map((id) => ({ id, type: 'tag' as const }))];
}

async function peelWant(
  objects: ObjectSource,
  commits: CommitCache,
  want: ObjectId,
  into: {
    tags: WalkedObject[];
    startCommits: ObjectId[];
    explicitTrees: ObjectId[];
    explicitBlobs: ObjectId[];
  },
): Promise<void> {
  let id = want;
  for (let hops = 0; hops < MAX_TAG_HOPS; hops++) {
    // Most wants are commits the fetch has already read: no storage round trip for those.
    const header = (await commits.get(id)) ? 'commit' : await readType(objects, id);
    if (header === undefined) throw notFound('object_not_found', `upload-pack: not our ref ${id}`);
    switch (header) {
      case 'commit':
        into.startCommits.push(id);
        return;
      case 'tree':
        into.explicitTrees.push(id);
        return;
      case 'blob':
        into.explicitBlobs.push(id);
        return;
      case 'tag': {
        into.tags.push({ id, type: 'tag' });
        const target = await readTagTarget(objects, id);
        if (!target) throw notFound('object_not_found', `upload-pack: missing tag ${id}`);
        id = target;
      }
    }
  }
}

async function readType(objects: ObjectSource, id: ObjectId): Promise<ObjectType | undefined> {
  return (await objects.readObjectHeader(id))?.type;
}

/**
 * Commits the client has that the date-ordered walk visits at most to prove that what it sends
 * is not had already. A commit dated before much of the history it extends (clock skew: a date
 * pinned in the past) is popped only after every newer commit the client has, one read each; past
 * this budget the rest of the sent side is walked without dates instead (`closeInteresting`).
 */
export const HAVE_WALK_BUDGET = 1_000;

/**
 * Date-ordered commit walk. Haves (and everything they reach) are uninteresting; the walk stops
 * once only uninteresting commits are queued. `edges` are uninteresting parents of sent commits.
 */
async function walkCommits(
  commits: CommitCache,
  starts: readonly ObjectId[],
  input: WalkInput,
): Promise<{ interesting: CommitSummary[]; edges: CommitSummary[] }> {
  const uninteresting = new Set<ObjectId>();
  const queued = new Set<ObjectId>();
  const queue: CommitSummary[] = [];
  // Queued commits not (yet) known to be uninteresting: the walk ends when none is left.
  const pendingInteresting = new Set<ObjectId>();
  // One read for every have (a client with many tags sends a hundred or more), not one each.
  await commits.prefetch(input.haves);
  const push = async (id: ObjectId, isUninteresting: boolean) => {
    if (isUninteresting) {
      uninteresting.add(id);
      pendingInteresting.delete(id);
    }
    if (queued.has(id)) return;
    const commit = await commits.get(id);
    if (!commit) return;
    queued.add(id);
    insertByDate(queue, commit);
    if (!isUninteresting) pendingInteresting.add(id);
  };
  for (const have of input.haves) await push(have, true);
  for (const start of starts) if (!uninteresting.has(start)) await push(start, false);
  const interesting: CommitSummary[] = [];
  const edges = new Map<ObjectId, CommitSummary>();
  let hadVisited = 0;
  const commitLimit = input.limit ?? MAX_WALK_OBJECTS;
  while (queue.length > 0 && pendingInteresting.size > 0) {
    const commit = queue.shift() as CommitSummary;
    pendingInteresting.delete(commit.id);
    const isUninteresting = uninteresting.has(commit.id);
    if (input.boundary.has(commit.id) && isUninteresting) continue;
    if (isUninteresting) {
      if (input.clientShallow?.has(commit.id)) continue;
      if (++hadVisited > HAVE_WALK_BUDGET) {
        await closeInteresting(
          commits,
          pendingInteresting,
          uninteresting,
          interesting,
          input.boundary,
          commitLimit,
        );
        break;
      }
      for (const parent of commit.parents) await push(parent, true);
      continue;
    }
    interesting.push(commit);
    if (interesting.length > commitLimit) throw tooLarge();
    if (input.boundary.has(commit.id)) continue;
    for (const parent of commit.parents) {
      if (uninteresting.has(parent)) {
        const edge = await commits.get(parent);
        if (edge) edges.set(parent, edge);
      } else {
        await push(parent, false);
      }
    }
  }
  // Commits queued as interesting but later found uninteresting were already skipped above;
  // interesting ones whose parent turned uninteresting later still need that parent as an edge.
  for (const commit of interesting) {
    for (const parent of commit.parents) {
      if (uninteresting.has(parent) && !edges.has(parent)) {
        const edge = await commits.get(parent);
        if (edge) edges.set(parent, edge);
      }
    }
  }
  return { interesting: interesting.filter((c) => !uninteresting.has(c.id)), edges: [...edges.values()] };
}

/**
 * The rest of the sent side once the date-ordered walk gave up: from the queued commits not known
 * to be had, through parents, down to commits known to be had (a have, or below one as far as
 * the walk got), one batched read per level. Every commit the wants reach and the haves do not is
 * still among the result; some the client has may be too (sent again, which git accepts).
 */
async function closeInteresting(
  commits: CommitCache,
  pending: ReadonlySet<ObjectId>,
  uninteresting: ReadonlySet<ObjectId>,
  interesting: CommitSummary[],
  boundary: ReadonlySet<ObjectId>,
  limit: number,
): Promise<void> {
  const taken = new Set(interesting.map((commit) => commit.id));
  let level = [...pending];
  while (level.length > 0) {
    await commits.prefetch(level);
    const next: ObjectId[] = [];
    for (const id of level) {
      if (taken.has(id) || uninteresting.has(id)) continue;
      taken.add(id);
      const commit = await commits.get(id);
      if (!commit) continue;
      interesting.push(commit);
      if (interesting.length > limit) throw tooLarge();
      if (boundary.has(id)) continue;
      for (const parent of commit.parents)
        if (!taken.has(parent) && !uninteresting.has(parent)) next.push(parent);
    }
    level = next;
  }
}

/** Newest first; ties keep insertion order (stable), like git's date-ordered queue. */
function insertByDate(queue: CommitSummary[], commit: CommitSummary): void {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((queue[mid] as CommitSummary).committerTime >= commit.committerTime) low = mid + 1;
    else high = mid;
  }
  queue.splice(low, 0, commit);
}

function tooLarge(): Error {
  return notFound('walk_too_large', 'too many objects to send');
}

function warnDamaged(problem: string): void {
  process.emitWarning(problem, { code: 'MEGA_DAMAGED_OBJECT' });
}
