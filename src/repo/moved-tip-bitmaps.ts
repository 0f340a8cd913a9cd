import type { ObjectId } from '../git/object-id.js';
import { MegaError } from '../platform/errors.js';
import type { WalkExtension } from './clone-walk-extension.js';
import { walkObjects, type WalkResult } from './object-walk.js';
import type { ExtendableWalk, ObjectSource } from './served-repository.js';
import { MAX_TAG_HOPS, readTagTarget } from './tag-target.js';
// The new bitmaps get the same memory as a first push's (one bit per entry of the extended walk).
import { BITMAP_BUDGET_BYTES } from './tip-reachability.js';

/**
 * Bitmaps for the tips a push moved or created (issue 20, item 2), made when the recorder
 * extends the walk of every ref after the push: without them the first clone of a branch after
 * each push to it (`--single-branch --branch`, a CI job) walks the whole repository.
 *
 * A new tip's bitmap is the closure of what it reaches, as a first push's (`tip-reachability.ts`):
 * the objects an incremental walk of it sends against the previous tips (git's `rev-list
 * --objects new --not old`, `walkObjects`), located in the extended walk, OR the bitmaps of the
 * walk's edges (the had commits next to the sent ones) that are previous tips. Every edge must
 * then be covered by what was OR-ed (a bitmap holding a commit holds its closure): otherwise
 * (a merge of an inner commit of another branch) the tip is walked again, when that walk is
 * small, with its ref's old tip as the only have, whose edges all are ancestors of that tip. A
 * rewind, a diverged ref, a deleted one, or a damaged or missing bitmap cover nothing and get
 * none: their clones walk.
 * Nothing outside the new tip's closure is set (the walk sends only what the tip reaches, the
 * OR-ed bitmaps are closures of commits it reaches), and nothing of it is missed (what the walk
 * does not send is in its edges' closures).
 */

/**
 * Objects the tips' walks of one extension may select in all (their ids are kept, and located
 * in the record's bytes in one pass): past it the remaining tips get none.
 */
const WALK_BUDGET_OBJECTS = 100_000;
/**
 * Objects one walk against a ref's old tip alone may select: it walks everything the tip gained,
 * for a merge of another branch's inner commit the whole history since the fork, one commit read
 * at a time (at 497k objects, load ~12: 100k objects ~9 s, 10k ~1.8 s, for no bitmap), so it is
 * tried only for a few hundred commits' worth.
 */
const FALLBACK_WALK_OBJECTS = 2_000;

/** A moved ref's new tip → its tip before the push. */
export type TipMoves = ReadonlyMap<ObjectId, ObjectId>;

type BitmapSource = Pick<ExtendableWalk, 'objectCount' | 'positions' | 'bitmapTips' | 'orTipBitmaps'>;

/** One tip's incremental walk. */
interface TipWalk {
  readonly tip: ObjectId;
  readonly result: WalkResult;
}

/**
 * Bitmaps over the walk `recorded` extended by `extension.appended` for the `wants` that were
 * not `previousWants` (moved and new ref tips), by tip; those that cannot be made are left out.
 * `moves`: the moved refs' tips before, for the second try. `walkBudget`: objects the tips' walks
 * may select in all.
 */
export async function movedTipBitmaps(
  objects: ObjectSource,
  recorded: BitmapSource,
  previousWants: readonly ObjectId[],
  wants: readonly ObjectId[],
  extension: WalkExtension,
  moves: TipMoves,
  walkBudget = WALK_BUDGET_OBJECTS,
): Promise<Map<ObjectId, Uint8Array>> {
  const derived = new Map<ObjectId, Uint8Array>();
  const previous = new Set(previousWants);
  const tips = [...new Set(wants)].filter((id) => !previous.has(id));
  if (tips.length === 0) return derived;
  const withBitmaps = await recorded.bitmapTips();
  if (withBitmaps.size === 0) return derived;
  const count = recorded.objectCount + extension.appended.length;
  const chosen = tips.slice(0, Math.floor(BITMAP_BUDGET_BYTES / Math.max(1, (count + 7) >> 3)));
  const located = new Locator(recorded, extension.appended);
  const budget = new WalkBudget(walkBudget);
  const closuresOf = (walks: readonly TipWalk[]) =>
    closures(objects, extension, recorded, withBitmaps, located, walks, count);

  // Against every previous tip: a branch merged whole, or a fork of one, walks only what is new.
  const first: TipWalk[] = [];
  for (const tip of chosen) {
    const reused = extension.walk;
    const only = reused && reused.wants.length === 1 && reused.wants[0] === tip;
    const result = only ? reused.result : await budget.walk(objects, extension, tip, extension.haves);
    if (result) first.push({ tip, result });
    else if (budget.spent) break;
  }
  const uncovered: TipWalk[] = [];
  for (const [walk, bits] of await closuresOf(first)) {
    if (bits) derived.set(walk.tip, bits);
    else uncovered.push(walk);
  }

  // Against the ref's own old tip: every edge is then below it, covered by its bitmap.
  const second: TipWalk[] = [];
  for (const { tip } of uncovered) {
    const before = moves.get(tip);
    if (before === undefined || !withBitmaps.has(before) || !(await extension.commits.get(before))) continue;
    const result = await budget.walk(objects, extension, tip, [before], FALLBACK_WALK_OBJECTS);
    if (result) second.push({ tip, result });
    else if (budget.spent) break;
  }
  for (const [walk, bits] of await closuresOf(second)) {
    if (bits) derived.set(walk.tip, bits);
  }
  return derived;
}

/** Objects the walks may still select; a walk past it ends them all. */
class WalkBudget {
  constructor(private left: number) {}

  get spent(): boolean {
    return this.left <= 0;
  }

  /**
   * The walk of `tip` against `haves`, or undefined when it selects more than `cap` or what is
   * left (the work done is counted), or meets a damaged object (it would be incomplete).
   */
  async walk(
    objects: ObjectSource,
    extension: WalkExtension,
    tip: ObjectId,
    haves: readonly ObjectId[],
    cap = Infinity,
  ): Promise<WalkResult | undefined> {
    if (this.left <= 0) return undefined;
    const limit = Math.min(this.left, cap);
    try {
      const result = await walkObjects(objects, extension.commits, {
        wants: [tip],
        haves,
        boundary: new Set(),
        limit,
        // A damaged object leaves the walk incomplete: no bitmap is better than a wrong one.
        onDamaged: () => {
          throw new DamagedObject();
        },
      });
      this.left -= result.objects.length;
      return result;
    } catch (error) {
      if (error instanceof DamagedObject) return undefined;
      if (error instanceof MegaError && error.code === 'walk_too_large') {
        this.left -= limit;
        return undefined;
      }
      throw error;
    }
  }
}

/** Thrown out of a tip's walk that met a damaged object. */
class DamagedObject extends Error {}

/**
 * Positions in the extended walk: the recorded walk's, found in its bytes in one pass for
 * every walk given at once, and the appended objects', known.
 */
class Locator {
  private readonly appendedAt = new Map<ObjectId, number>();
  private readonly inRecord = new Map<ObjectId, number>();

  constructor(
    private readonly recorded: BitmapSource,
    appended: WalkExtension['appended'],
  ) {
    for (const [index, object] of appended.entries())
      this.appendedAt.set(object.id, recorded.objectCount + index);
  }

  /** Looks up in the record's bytes whatever of `ids` was not looked up yet. */
  prepare(ids: Iterable<ObjectId>): void {
    const wanted = [...new Set(ids)].filter((id) => !this.appendedAt.has(id) && !this.inRecord.has(id));
    for (const [id, at] of this.recorded.positions(wanted)) this.inRecord.set(id, at);
  }

  at(id: ObjectId): number | undefined {
    return this.inRecord.get(id) ?? this.appendedAt.get(id);
  }
}

/**
 * Each walk's tip closure over the extended walk of `count` entries (`closure`), the positions
 * of all of them looked up in the record in one pass.
 */
async function closures(
  objects: ObjectSource,
  extension: WalkExtension,
  recorded: BitmapSource,
  withBitmaps: ReadonlySet<ObjectId>,
  located: Locator,
  walks: readonly TipWalk[],
  count: number,
): Promise<Array<[TipWalk, Uint8Array | undefined]>> {
  const chains: ObjectId[][] = [];
  for (const walk of walks) chains.push(await peelChain(objects, extension, walk.tip));
  located.prepare(
    walks.flatMap((walk, index) => [
      ...walk.result.objects.map((object) => object.id),
      ...walk.result.edges,
      ...(chains[index] as ObjectId[]),
    ]),
  );
  const made: Array<[TipWalk, Uint8Array | undefined]> = [];
  for (const [index, walk] of walks.entries()) {
    made.push([
      walk,
      await closure(recorded, withBitmaps, located, walk, chains[index] as ObjectId[], count),
    ]);
  }
  return made;
}

/**
 * The closure of `walk.tip` (which peels through `chain`) over the extended walk of `count`
 * entries: the bitmaps of the walk's edges that have one OR-ed, then its objects' positions.
 * Undefined when an edge is left uncovered, the tip itself is not reached (a rewind: the walk
 * sent nothing), an object is not located, or an edge's bitmap is damaged.
 */
async function closure(
  recorded: BitmapSource,
  withBitmaps: ReadonlySet<ObjectId>,
  located: Locator,
  walk: TipWalk,
  chain: readonly ObjectId[],
  count: number,
): Promise<Uint8Array | undefined> {
  const { result } = walk;
  const bits = new Uint8Array(Math.max(1, (count + 7) >> 3));
  const isSet = (id: ObjectId) => {
    const at = located.at(id);
    return at !== undefined && (((bits[at >> 3] as number) >> (at & 7)) & 1) === 1;
  };
  // What the tip peels to is in its closure too: a tag moved onto a branch's tip (the walk sends
  // the tag alone, the commit being had) takes that branch's bitmap.
  const edgeTips = [...new Set([...result.edges, ...chain.slice(1)])].filter((id) => withBitmaps.has(id));
  if (edgeTips.length > 0 && !(await recorded.orTipBitmaps(edgeTips, bits))) return undefined;
  if (!result.edges.every(isSet)) return undefined;
  for (const object of result.objects) {
    const at = located.at(object.id);
    if (at === undefined) return undefined;
    bits[at >> 3] = (bits[at >> 3] as number) | (1 << (at & 7));
  }
  // The tip and what it peels to are in its closure: a walk that sent neither covered nothing.
  return chain.every(isSet) ? bits : undefined;
}

/** `tip` and the objects its tag chain names, down to the first that is no tag. */
async function peelChain(
  objects: ObjectSource,
  extension: WalkExtension,
  tip: ObjectId,
): Promise<ObjectId[]> {
  const chain = [tip];
  for (let id = tip, hops = 0; hops < MAX_TAG_HOPS && !(await extension.commits.get(id)); hops++) {
    const target = await readTagTarget(objects, id);
    if (target === undefined) break;
    chain.push(target);
    id = target;
  }
  return chain;
}
