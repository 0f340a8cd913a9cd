import type { ObjectId } from '../git/object-id.js';
import { INFINITE_DEPTH, type FetchRequest } from '../git/protocol/fetch-request.js';
import { invalid } from '../platform/errors.js';
import type { CommitCache } from './common-commits.js';
import { appendAll } from '../platform/append-all.js';

/** Commits one shallow computation may visit (bounds `deepen-not` walks and huge depths). */
export const SHALLOW_WALK_LIMIT = 5_000_000;

/**
 * The outcome of a shallow/deepen request (pack-protocol.txt "Shallow" and upload-pack's
 * deepen()): which commits become the client's new shallow boundary, which of its old boundary
 * commits are no longer shallow, and what the object walk must treat as a boundary.
 */
export interface ShallowPlan {
  /** `shallow <id>` lines: new boundary commits the client did not already have as shallow. */
  readonly shallow: readonly ObjectId[];
  /** `unshallow <id>` lines: client boundary commits whose parents are now sent. */
  readonly unshallow: readonly ObjectId[];
  /** Commits whose parents the object walk does not follow. */
  readonly boundary: ReadonlySet<ObjectId>;
  /** Unshallowed commits: the client has them (excluded), their parents are wanted. */
  readonly extraHaves: readonly ObjectId[];
  readonly extraWants: readonly ObjectId[];
}

export function requestsShallowInfo(request: FetchRequest): boolean {
  return request.depth > 0 || request.deepenSince > 0 || request.deepenNot.length > 0;
}

/**
 * Computes the plan. `wantCommits` are the wanted commits (tags already peeled);
 * `resolveRef` maps a `deepen-not` ref name to its commit.
 */
export async function planShallow(
  request: FetchRequest,
  wantCommits: readonly ObjectId[],
  commits: CommitCache,
  resolveRef: (name: string) => Promise<ObjectId | undefined>,
): Promise<ShallowPlan> {
  const clientShallow = new Set(request.shallows);
  let newBoundary: Set<ObjectId>;
  let notShallow: Set<ObjectId>;
  if (request.depth === INFINITE_DEPTH) {
    newBoundary = new Set();
    notShallow = new Set(clientShallow);
  } else if (request.depth > 0) {
    const starts = request.deepenRelative ? [...clientShallow] : wantCommits;
    ({ boundary: newBoundary, interior: notShallow } = await walkToDepth(
      starts,
      request.deepenRelative ? request.depth + 1 : request.depth,
      commits,
    ));
  } else if (request.deepenSince > 0 || request.deepenNot.length > 0) {
    ({ boundary: newBoundary, interior: notShallow } = await walkByRevList(
      request,
      wantCommits,
      commits,
      resolveRef,
    ));
  } else {
    newBoundary = new Set();
    notShallow = new Set();
  }
  const shallow = [...newBoundary].filter((id) => !clientShallow.has(id) && !notShallow.has(id));
  const unshallow = [...clientShallow].filter((id) => notShallow.has(id));
  const extraWants: ObjectId[] = [];
  for (const id of unshallow) appendAll(extraWants, (await commits.get(id))?.parents ?? []);
  const boundary = new Set<ObjectId>(shallow);
  for (const id of clientShallow) if (!notShallow.has(id)) boundary.add(id);
  return { shallow, unshallow, boundary, extraHaves: unshallow, extraWants };
}

/** Breadth-first to `depth` (the starts are depth 1): commits at the last level with parents are the boundary. */
async function walkToDepth(
  starts: readonly ObjectId[],
  depth: number,
  commits: CommitCache,
): Promise<{ boundary: Set<ObjectId>; interior: Set<ObjectId> }> {
  const boundary = new Set<ObjectId>();
  const interior = new Set<ObjectId>();
  const seen = new Set<ObjectId>();
  let level: ObjectId[] = [];
  for (const id of starts) {
    if (!seen.has(id) && (await commits.get(id))) {
      seen.add(id);
      level.push(id);
    }
  }
  for (let current = 1; level.length > 0; current++) {
    const next: ObjectId[] = [];
    for (const id of level) {
      const commit = await commits.get(id);
      if (!commit) continue;
      if (current >= depth) {
        if (commit.parents.length > 0) boundary.add(id);
        continue;
      }
      interior.add(id);
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        next.push(parent);
      }
      if (seen.size > SHALLOW_WALK_LIMIT)
        throw invalid('shallow_walk_too_large', 'shallow request walks too many commits');
    }
    level = next;
  }
  return { boundary, interior };
}

/** `deepen-since` / `deepen-not`: commits newer than the date and not reachable from the excluded refs. */
async function walkByRevList(
  request: FetchRequest,
  wantCommits: readonly ObjectId[],
  commits: CommitCache,
  resolveRef: (name: string) => Promise<ObjectId | undefined>,
): Promise<{ boundary: Set<ObjectId>; interior: Set<ObjectId> }> {
  const excluded = new Set<ObjectId>();
  for (const name of request.deepenNot) {
    const id = await resolveRef(name);
    if (!id)
      throw invalid('deepen_not_unknown', `git upload-pack: ambiguous deepen-not: ${name.slice(0, 200)}`);
    await collectAncestors(id, commits, excluded);
  }
  const included = new Set<ObjectId>();
  const stack = [...wantCommits];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (included.has(id) || excluded.has(id)) continue;
    const commit = await commits.get(id);
    if (!commit || (request.deepenSince > 0 && commit.committerTime < request.deepenSince)) continue;
    included.add(id);
    appendAll(stack, commit.parents);
    if (included.size > SHALLOW_WALK_LIMIT)
      throw invalid('shallow_walk_too_large', 'shallow request walks too many commits');
  }
  if (included.size === 0) throw invalid('shallow_empty', 'no commits selected for shallow requests');
  const boundary = new Set<ObjectId>();
  const interior = new Set<ObjectId>();
  for (const id of included) {
    const parents = (await commits.get(id))?.parents ?? [];
    if (parents.some((parent) => !included.has(parent))) boundary.add(id);
    else interior.add(id);
  }
  return { boundary, interior };
}

async function collectAncestors(start: ObjectId, commits: CommitCache, into: Set<ObjectId>): Promise<void> {
  const stack = [start];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (into.has(id)) continue;
    const commit = await commits.get(id);
    if (!commit) continue;
    into.add(id);
    if (into.size > SHALLOW_WALK_LIMIT)
      throw invalid('shallow_walk_too_large', 'deepen-not walks too many commits');
    appendAll(stack, commit.parents);
  }
}
