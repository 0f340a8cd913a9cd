import type { ObjectId } from '../git/object-id.js';
import type { ObjectFilter } from '../git/protocol/filter-spec.js';
import { parseTag } from '../git/tag.js';
import { entryKind, parseTree } from '../git/tree.js';
import { notFound } from '../platform/errors.js';
import type { CommitCache } from './common-commits.js';
import type { CommitSummary, GitObjectType, ObjectSource } from './served-repository.js';

/** One object chosen for the pack, in pack order. */
export interface WalkedObject {
  readonly id: ObjectId;
  readonly type: GitObjectType;
}

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
  /** Annotated tags `{tag object id, peeled target}` for include-tag. */
  readonly includeTags?: ReadonlyArray<{ readonly tag: ObjectId; readonly peeled: ObjectId }>;
}

export interface WalkResult {
  readonly objects: readonly WalkedObject[];
  /** Trees and blobs the client has (edge of the uninteresting side): thin-pack delta bases. */
  readonly clientHas: ReadonlySet<ObjectId>;
}

/** Objects one walk may select or visit (a bound for memory). */
export const MAX_WALK_OBJECTS = 20_000_000;

/**
 * git's `rev-list --objects <wants> --not <haves>` with shallow boundaries and object filters:
 * commits newest first (date-ordered walk that propagates "the client has it" to ancestors),
 * then tags, then trees and blobs in the order the commits reach them.
 */
export async function walkObjects(
  objects: ObjectSource,
  commits: CommitCache,
  input: WalkInput,
): Promise<WalkResult> {
  const chosen: WalkedObject[] = [];
  const selected = new Set<ObjectId>();
  const pick = (id: ObjectId, type: GitObjectType) => {
    if (selected.has(id)) return;
    selected.add(id);
    chosen.push({ id, type });
  };
  const tags: WalkedObject[] = [];
  const startCommits: ObjectId[] = [];
  const explicitTrees: ObjectId[] = [];
  const explicitBlobs: ObjectId[] = [];
  for (const want of input.wants)
    await peelWant(objects, want, { tags, startCommits, explicitTrees, explicitBlobs });
  const { interesting, edges } = await walkCommits(commits, startCommits, input);
  for (const commit of interesting) pick(commit.id, 'commit');
  for (const tag of tags) pick(tag.id, 'tag');

  const clientHas = new Set<ObjectId>();
  if (input.filter?.kind !== 'tree' || input.filter.depth > 0) {
    for (const edge of edges) await markTree(objects, edge.tree, clientHas);
    for (const have of input.haves) {
      const commit = await commits.get(have);
      if (commit) await markTree(objects, commit.tree, clientHas);
    }
  }
  const treeWalk = new TreeWalk(objects, input.filter, clientHas, pick);
  for (const commit of interesting) await treeWalk.walkRoot(commit.tree);
  for (const id of explicitTrees) await treeWalk.walkRoot(id, true);
  for (const id of explicitBlobs) pick(id, 'blob');
  for (const { tag, peeled } of input.includeTags ?? []) {
    if (selected.has(peeled) && !selected.has(tag)) pick(tag, 'tag');
  }
  return { objects: chosen, clientHas };
}

async function peelWant(
  objects: ObjectSource,
  want: ObjectId,
  into: {
    tags: WalkedObject[];
    startCommits: ObjectId[];
    explicitTrees: ObjectId[];
    explicitBlobs: ObjectId[];
  },
): Promise<void> {
  let id = want;
  for (let hops = 0; hops < 16; hops++) {
    const header = await readType(objects, id);
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
        const tag = await objects.readObject(id);
        if (!tag) throw notFound('object_not_found', `upload-pack: missing tag ${id}`);
        id = parseTag(tag.content).object as ObjectId;
      }
    }
  }
}

async function readType(objects: ObjectSource, id: ObjectId): Promise<GitObjectType | undefined> {
  if (objects.readObjectHeader) return (await objects.readObjectHeader(id))?.type;
  return (await objects.readObject(id))?.type;
}

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
  while (queue.length > 0 && pendingInteresting.size > 0) {
    const commit = queue.shift() as CommitSummary;
    pendingInteresting.delete(commit.id);
    const isUninteresting = uninteresting.has(commit.id);
    if (input.boundary.has(commit.id) && isUninteresting) continue;
    if (isUninteresting) {
      if (input.clientShallow?.has(commit.id)) continue;
      for (const parent of commit.parents) await push(parent, true);
      continue;
    }
    interesting.push(commit);
    if (interesting.length > MAX_WALK_OBJECTS) throw notFound('walk_too_large', 'too many commits to send');
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

/** Adds every tree and blob reachable from `root` to `into` (skipping subtrees already there). */
async function markTree(objects: ObjectSource, root: ObjectId, into: Set<ObjectId>): Promise<void> {
  const stack = [root];
  while (stack.length > 0) {
    const id = stack.pop() as ObjectId;
    if (into.has(id)) continue;
    into.add(id);
    const tree = await objects.readObject(id);
    if (!tree) continue;
    for (const entry of parseTree(tree.content)) {
      const kind = entryKind(entry.mode);
      if (kind === 'gitlink') continue;
      if (kind === 'tree') stack.push(entry.id);
      else into.add(entry.id);
    }
  }
}

/** Tree and blob selection with the partial-clone filters (rev-list-options "--filter"). */
class TreeWalk {
  private readonly seen = new Set<ObjectId>();

  constructor(
    private readonly objects: ObjectSource,
    private readonly filter: ObjectFilter | undefined,
    private readonly clientHas: ReadonlySet<ObjectId>,
    private readonly pick: (id: ObjectId, type: GitObjectType) => void,
  ) {}

  async walkRoot(root: ObjectId, explicit = false): Promise<void> {
    if (!explicit && this.filter?.kind === 'tree' && this.filter.depth === 0) return;
    const stack: Array<{ id: ObjectId; depth: number }> = [{ id: root, depth: 0 }];
    while (stack.length > 0) {
      const { id, depth } = stack.pop() as { id: ObjectId; depth: number };
      if (this.seen.has(id) || this.clientHas.has(id)) continue;
      this.seen.add(id);
      this.pick(id, 'tree');
      const tree = await this.objects.readObject(id);
      if (!tree) throw notFound('object_missing', `tree ${id} is missing`);
      const entries = parseTree(tree.content);
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i] as (typeof entries)[number];
        const kind = entryKind(entry.mode);
        if (kind === 'gitlink') continue;
        if (kind === 'tree') {
          if (this.filter?.kind !== 'tree' || depth + 1 < this.filter.depth)
            stack.push({ id: entry.id, depth: depth + 1 });
        } else if (await this.wantsBlob(entry.id, depth + 1)) {
          if (!this.seen.has(entry.id) && !this.clientHas.has(entry.id)) {
            this.seen.add(entry.id);
            this.pick(entry.id, 'blob');
          }
        }
      }
    }
  }

  private async wantsBlob(id: ObjectId, depth: number): Promise<boolean> {
    const filter = this.filter;
    if (!filter) return true;
    if (filter.kind === 'blob:none') return false;
    if (filter.kind === 'tree') return depth < filter.depth;
    const header = this.objects.readObjectHeader
      ? await this.objects.readObjectHeader(id)
      : await this.objects
          .readObject(id)
          .then((o) => (o ? { type: o.type, size: o.content.length } : undefined));
    return header !== undefined && header.size < filter.limit;
  }
}
