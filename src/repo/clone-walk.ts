import { createHash } from 'node:crypto';
import type { ObjectId } from '../git/object-id.js';
import { formatFilterSpec, type ObjectFilter } from '../git/protocol/filter-spec.js';
import { CommitCache } from './common-commits.js';
import { walkObjects } from './object-walk.js';
import { PreloadedObjects } from './preloaded-objects.js';
import { extendRecordedWalk } from './clone-walk-extension.js';
import { graphWalkObjects, walkGraph } from './graph-walk.js';
import { filterRecordedWalk } from './record-filters.js';
import { filterRecordView, pickRecordView } from './record-views.js';
import { walkListOf } from './walk-list.js';
import { movedTipBitmaps, type TipMoves } from './moved-tip-bitmaps.js';
import { tipBitmapsFromGraph } from './tip-reachability.js';
import { collectDroppedArrays } from '../platform/heap-release.js';
import type {
  AdvertisedRef,
  ExtendableWalk,
  GraphHintOf,
  ObjectSource,
  RecordedWalks,
  ServedRepository,
  WalkList,
  WalkedObject,
} from './served-repository.js';

/**
 * Full-clone walks, recorded. A clone that wants nothing but ids (no haves, no depth) reaches a
 * set of objects fixed by those ids and the filter alone, so the walk's result can be kept and
 * reused: the next such clone sends its pack header at once instead of first reading every commit
 * and tree of the repository (git gets the same from the reachability bitmaps `repack -b`
 * writes). Walks are recorded by the clone that computes one and, after every push, for the
 * want sets of `git clone` and `git clone --mirror` (`CloneWalkRecorder`).
 */

/** The key of a full-clone walk: the wanted ids (order and repeats do not matter) and the filter. */
export function cloneWalkKey(wants: readonly ObjectId[], filter: ObjectFilter | undefined): string {
  const hash = createHash('sha256');
  hash.update(`mega clone walk v1\nfilter ${filter ? formatFilterSpec(filter) : ''}\n`);
  for (const want of [...new Set(wants)].sort()) hash.update(`want ${want}\n`);
  return hash.digest('hex');
}

export interface FullCloneWalk {
  readonly objects: readonly WalkedObject[];
  /** Where to read the objects from: answers commits and trees from memory after a fresh walk. */
  readonly source: ObjectSource;
  /** The walk was computed now (not found recorded): worth recording. */
  readonly fresh: boolean;
}

/** `FullCloneWalk` with its objects as a `WalkList` (`fullCloneList`). */
export interface FullCloneList {
  readonly list: WalkList;
  readonly source: ObjectSource;
  readonly fresh: boolean;
}

/**
 * The objects a full clone of `wants` sends, in pack order, without include-tag's tags: the
 * recorded walk when there is one, else a walk over the whole repository read in bulk.
 * `unfiltered`: the walk of `wants` without a filter when the caller has it at hand (the walk
 * recorder just computed it, `CloneWalkRecorder.recorded`), used as a recorded one.
 */
export async function fullCloneWalk(
  repository: ServedRepository,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
  refs: readonly AdvertisedRef[] = [],
  unfiltered?: readonly WalkedObject[],
): Promise<FullCloneWalk> {
  const walk = await fullCloneList(repository, wants, filter, refs, unfiltered);
  return { objects: walk.list.objects(), source: walk.source, fresh: walk.fresh };
}

/**
 * `fullCloneWalk`'s objects as a `WalkList`. With `picked`, a walk taken from a record (the
 * record itself, its filtered view, the tips' bitmaps over it) is handed as the record's entries
 * picked, their raw ids not decoded until asked: what a pack cut out of a cached full pack needs
 * (`upload-pack.ts` asks it when such a pack is cached). Without it, the objects are decoded here,
 * as the replay from storage needs them anyway.
 */
export async function fullCloneList(
  repository: ServedRepository,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
  refs: readonly AdvertisedRef[] = [],
  unfiltered?: readonly WalkedObject[],
  picked = false,
): Promise<FullCloneList> {
  const known =
    unfiltered &&
    (filter ? await filterOfRecord(repository.objects, unfiltered, wants, filter, refs) : unfiltered);
  if (known) return { list: walkListOf(known), source: repository.objects, fresh: false };
  const key = cloneWalkKey(wants, filter);
  const recorded =
    (picked && (await recordedEntries(repository, key))) || (await recordedWalk(repository, key));
  if (recorded) return { list: recorded, source: repository.objects, fresh: false };
  const derived = await filteredFromRecord(repository, wants, filter, refs, picked);
  if (derived) return { list: derived, source: repository.objects, fresh: false };
  const reached = await fromTipBitmaps(repository, wants, filter, refs, picked);
  if (reached) return { list: reached, source: repository.objects, fresh: false };
  const { source, release } = await wholeRepositorySource(repository);
  const objects = await walkAll(source, wants, filter);
  // Sending copies stored forms: the walk's inflated trees can go before the pack is read.
  release();
  return { list: walkListOf(objects), source, fresh: true };
}

/** The walk recorded under `key`, decoded (a damaged one is dropped: the clone walks again). */
async function recordedWalk(repository: ServedRepository, key: string): Promise<WalkList | undefined> {
  return listOf(await repository.cloneWalks?.find(key));
}

/** The walk recorded under `key` as its entries, not decoded; undefined also when damaged. */
async function recordedEntries(repository: ServedRepository, key: string): Promise<WalkList | undefined> {
  const view = await repository.cloneWalks?.findView?.(key);
  return view?.pickEntries?.(() => true);
}

/**
 * A filtered full clone (`git clone --filter=…`) from the recorded walk of the same wants without
 * a filter, as git answers it from its reachability bitmaps (`filterOfRecord`). Undefined when it
 * cannot be derived (then the walk runs).
 */
async function filteredFromRecord(
  repository: ServedRepository,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
  refs: readonly AdvertisedRef[],
  picked: boolean,
): Promise<WalkList | undefined> {
  if (!filter || !repository.cloneWalks) return undefined;
  const explicit = explicitObjects(wants, refs);
  if (!explicit) return undefined;
  const key = cloneWalkKey(wants, undefined);
  const view = await repository.cloneWalks.findView?.(key);
  if (view) {
    const fromView = picked
      ? await pickRecordView(repository.objects, view, explicit, filter)
      : listOf(await filterRecordView(repository.objects, view, explicit, filter));
    if (fromView) return fromView;
  }
  const unfiltered = await repository.cloneWalks.find(key);
  return listOf(unfiltered && (await filterOfRecord(repository.objects, unfiltered, wants, filter, refs)));
}

function listOf(objects: readonly WalkedObject[] | undefined): WalkList | undefined {
  return objects && walkListOf(objects);
}

/**
 * The walk of `wants` from the ref tips' bitmaps over a recorded walk (`tip-reachability.ts`),
 * filtered like a record when the clone is partial: `git clone --single-branch --branch <other>`
 * and a fetch of some refs into an empty repository, whose want sets have no record of their
 * own. Undefined when some want has no bitmap (then the walk runs).
 */
async function fromTipBitmaps(
  repository: ServedRepository,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
  refs: readonly AdvertisedRef[],
  picked: boolean,
): Promise<WalkList | undefined> {
  const walks = repository.cloneWalks;
  if (picked && !filter && walks?.reachableEntries) return walks.reachableEntries(wants);
  const reached = await walks?.reachableFrom?.(wants);
  if (!reached) return undefined;
  return listOf(filter ? await filterOfRecord(repository.objects, reached, wants, filter, refs) : reached);
}

/**
 * `unfiltered`, the walk of `wants`, as `filter` has it: the same objects in the same order, less
 * those the filter drops (`record-filters.ts`). Only when every want is a ref tip, whose peeled
 * target is known: a wanted tag that peels to a tree or a blob sends that object whatever the
 * filter. Undefined when a want is no ref tip or the filter cannot be applied to a record.
 */
async function filterOfRecord(
  source: ObjectSource,
  unfiltered: readonly WalkedObject[],
  wants: readonly ObjectId[],
  filter: ObjectFilter,
  refs: readonly AdvertisedRef[],
): Promise<readonly WalkedObject[] | undefined> {
  const explicit = explicitObjects(wants, refs);
  return explicit && filterRecordedWalk(source, unfiltered, explicit, filter);
}

/** The wants and what each peels to, when every want is a ref tip (undefined otherwise). */
function explicitObjects(
  wants: readonly ObjectId[],
  refs: readonly AdvertisedRef[],
): Set<ObjectId> | undefined {
  const tips = new Map(refs.map((ref) => [ref.target, ref.peeled]));
  const explicit = new Set<ObjectId>();
  for (const want of wants) {
    if (!tips.has(want)) return undefined;
    explicit.add(want);
    const peeled = tips.get(want);
    if (peeled !== undefined) explicit.add(peeled);
  }
  return explicit;
}

/** The repository's objects with every commit and tree read in bulk (when the source can). */
async function wholeRepositorySource(
  repository: ServedRepository,
): Promise<{ source: ObjectSource; release: () => void }> {
  const snapshot = await repository.objects.loadCloneSnapshot();
  return {
    source: new PreloadedObjects(repository.objects, snapshot),
    release: () => snapshot.releaseTreeContents(),
  };
}

async function walkAll(
  source: ObjectSource,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
): Promise<readonly WalkedObject[]> {
  const walk = await walkObjects(source, new CommitCache(source), {
    wants,
    haves: [],
    boundary: new Set(),
    ...(filter ? { filter } : {}),
  });
  return walk.objects;
}

/** Records a walk; failing to is not an error for the clone (the next one walks again). */
export async function recordCloneWalk(
  repository: ServedRepository,
  wants: readonly ObjectId[],
  filter: ObjectFilter | undefined,
  objects: readonly WalkedObject[],
): Promise<void> {
  await repository.cloneWalks?.save(cloneWalkKey(wants, filter), objects).catch(() => undefined);
}

/** A ref as the likely clones see it: its name and the id it points at. */
interface NamedTarget {
  readonly name: string;
  readonly target: ObjectId;
}

/** The refs, and the ref `HEAD` names (the default branch): what the likely want sets follow from. */
interface LikelyRefs {
  readonly refs: readonly NamedTarget[];
  readonly headTarget?: string | undefined;
}

/** The kinds of likely clones, in the order the recorder records them. */
const LIKELY_KINDS = ['mirror', 'clone', 'single'] as const;
type LikelyKind = (typeof LIKELY_KINDS)[number];

/**
 * The wanted ids of `git clone --mirror` (every ref), `git clone` (branches and tags) and `git
 * clone --single-branch` (the default branch alone; the tags it follows come by include-tag,
 * outside the walk). A kind is empty when it wants nothing (no refs, `HEAD` dangling).
 */
function wantSets({ refs, headTarget }: LikelyRefs): Record<LikelyKind, ObjectId[]> {
  const head = headTarget === undefined ? undefined : refs.find((ref) => ref.name === headTarget);
  return {
    mirror: refs.map((ref) => ref.target),
    clone: refs
      .filter((ref) => ref.name.startsWith('refs/heads/') || ref.name.startsWith('refs/tags/'))
      .map((ref) => ref.target),
    single: head ? [head.target] : [],
  };
}

/** The non-empty want sets of `sets` by kind, each listed once (the first kind that wants it). */
function distinctSets(sets: Record<LikelyKind, ObjectId[]>): Array<{ kind: LikelyKind; wants: ObjectId[] }> {
  const seen = new Set<string>();
  const distinct: Array<{ kind: LikelyKind; wants: ObjectId[] }> = [];
  for (const kind of LIKELY_KINDS) {
    const wants = sets[kind];
    const key = cloneWalkKey(wants, undefined);
    if (wants.length === 0 || seen.has(key)) continue;
    seen.add(key);
    distinct.push({ kind, wants });
  }
  return distinct;
}

/**
 * The wanted ids of the clones a repository most likely serves next: `git clone --mirror`, `git
 * clone` and `git clone --single-branch` (`wantSets`). Equal sets are listed once.
 */
export async function likelyCloneWants(repository: ServedRepository): Promise<ObjectId[][]> {
  return likelyWantSets(await repository.listRefs());
}

/** `likelyCloneWants` of the refs at hand. */
export function likelyWantSets(refs: LikelyRefs): ObjectId[][] {
  return distinctSets(wantSets(refs)).map((set) => set.wants);
}

/** Whether `wants` is one of the sets the recorder records for `refs` (`likelyCloneWants`). */
export function isLikelyCloneWant(refs: LikelyRefs, wants: readonly ObjectId[]): boolean {
  const key = cloneWalkKey(wants, undefined);
  return distinctSets(wantSets(refs)).some((set) => cloneWalkKey(set.wants, undefined) === key);
}

/**
 * Refs moved since the walks were last recorded: each moved ref's id before (undefined: it did
 * not exist). With them the recorder extends the previous walks instead of walking everything.
 */
export type RefsBefore = ReadonlyMap<string, ObjectId | undefined>;

/** The refs as they were before `before`'s moves, given the refs now. */
function refsBeforeMoves(now: readonly NamedTarget[], before: RefsBefore): NamedTarget[] {
  const refs: NamedTarget[] = [];
  for (const ref of now) if (!before.has(ref.name)) refs.push(ref);
  for (const [name, target] of before) if (target !== undefined) refs.push({ name, target });
  return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Records the walk of `wants` under `key` as an extension of the previous refs' recorded walk of
 * the same kind (`clone-walk-extension.ts`); false when there is none or it cannot be extended.
 * The previous walk's tip bitmaps of tips still wanted carry over, and tips the push moved or
 * created get one where it can be derived (`moved-tip-bitmaps.ts`; `moves`: new tip → old tip).
 */
async function recordExtended(
  repository: ServedRepository,
  key: string,
  previousWants: readonly ObjectId[],
  wants: readonly ObjectId[],
  moves: TipMoves,
): Promise<boolean> {
  if (previousWants.length === 0) return false;
  const recorded = await repository.cloneWalks?.findExtendable(cloneWalkKey(previousWants, undefined));
  if (!recorded) return false;
  const extension = await extendRecordedWalk(repository.objects, recorded, previousWants, wants);
  if (!extension) return false;
  // Bitmaps that cannot be made leave their clones to walk; the walk is saved regardless.
  const derived = await movedTipBitmaps(
    repository.objects,
    recorded,
    previousWants,
    wants,
    extension,
    moves,
  ).catch(() => new Map<ObjectId, Uint8Array>());
  if (extension.reachesAll) return recorded.saveExtended(key, extension.appended, { kept: wants, derived });
  // The record holds what no ref may reach any more: the wants' bitmaps select their walk from
  // it, or from the walk of every ref recorded just before (`--single-branch` of a rebased
  // default branch).
  if (await recordSelected(recorded, key, previousWants, wants, extension.appended, derived)) return true;
  return (await repository.cloneWalks?.saveFromTips?.(key, wants)) ?? false;
}

/**
 * Records under `key` the walk of `wants` as the entries of `recorded` and `appended` that their
 * closures hold, in that order: the bitmaps of the wants that were `previousWants` OR-ed with
 * `derived`, the moved and new tips' (`moved-tip-bitmaps.ts`). A new tip without one (a ref
 * rewound to a commit another ref reaches) is covered when its own entry is selected: a closure
 * that holds a commit or tag holds everything it reaches. So exactly what the wants reach is
 * selected, without reading a tree. False when some want is neither (its walk is needed).
 */
async function recordSelected(
  recorded: ExtendableWalk,
  key: string,
  previousWants: readonly ObjectId[],
  wants: readonly ObjectId[],
  appended: readonly WalkedObject[],
  derived: ReadonlyMap<ObjectId, Uint8Array>,
): Promise<boolean> {
  const previous = new Set(previousWants);
  const distinct = [...new Set(wants)];
  const kept = distinct.filter((id) => previous.has(id));
  const count = recorded.objectCount + appended.length;
  const selected = new Uint8Array(Math.max(1, (count + 7) >> 3));
  if (kept.length > 0 && !(await recorded.orTipBitmaps(kept, selected))) return false;
  for (const bits of derived.values()) {
    for (let i = 0; i < selected.length; i++) selected[i] = (selected[i] as number) | (bits[i] as number);
  }
  const bare = distinct.filter((id) => !previous.has(id) && !derived.has(id));
  const at = recorded.positions(bare);
  const covered = (id: ObjectId) => {
    const position = at.get(id);
    return position !== undefined && (((selected[position >> 3] as number) >> (position & 7)) & 1) === 1;
  };
  if (!bare.every(covered)) return false;
  return recorded.saveSelected(key, appended, selected, { kept, derived });
}

/** The moved refs' new tips → their tips before (refs created or deleted are left out). */
function tipMoves(now: readonly NamedTarget[], before: RefsBefore | undefined): Map<ObjectId, ObjectId> {
  const moves = new Map<ObjectId, ObjectId>();
  if (!before) return moves;
  for (const ref of now) {
    const old = before.get(ref.name);
    if (old !== undefined && old !== ref.target) moves.set(ref.target, old);
  }
  return moves;
}

/**
 * A walk made known by the recorder as soon as it is: its objects before they are saved, or
 * undefined when it is in storage already (found recorded, or saved as an extension).
 */
export type OnKnownWalk = (key: string, objects: readonly WalkedObject[] | undefined) => void;

/**
 * Awaited by the recorder between its steps: the clone that waits for a walk just made known
 * takes its turn, and the rest (other want sets, tip bitmaps, saves) may wait for the requests in
 * flight to end (`CloneWalkRecorder`).
 */
export type GiveWay = () => Promise<void>;

/** One turn of the event loop. */
const oneTurn: GiveWay = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Computes and records the likely clones' walks that are not recorded yet: from the graph of the
 * push's pack when it held the whole repository (`takePushGraph`), else extending the walks
 * recorded before `before`'s moves where it can, else reading the repository's commits and
 * trees once for all of them. `onKnown` hears of each walk before it is saved.
 */
export async function recordLikelyCloneWalks(
  repository: ServedRepository,
  before?: RefsBefore,
  onKnown: OnKnownWalk = () => undefined,
  giveWay: GiveWay = oneTurn,
): Promise<number> {
  const walks = repository.cloneWalks;
  // Taken first, so the graph goes whatever happens below.
  const graph = walks?.takePushGraph?.();
  try {
    if (!walks || !repository.exists) return 0;
    const snapshot = await repository.listRefs();
    const previous = before
      ? wantSets({ refs: refsBeforeMoves(snapshot.refs, before), headTarget: snapshot.headTarget })
      : undefined;
    const moves = tipMoves(snapshot.refs, before);
    const missing: ObjectId[][] = [];
    const saved: SavedWalk[] = [];
    let recorded = 0;
    // Where storage keeps the graph's objects: looked up once, when a walk is first listed.
    let hints: Promise<GraphHintOf | undefined> | undefined;
    for (const { kind, wants } of distinctSets(wantSets(snapshot))) {
      await giveWay();
      const key = cloneWalkKey(wants, undefined);
      if (await walks.keep(key)) {
        onKnown(key, undefined);
        continue;
      }
      const walked = graph ? walkGraph(graph, wants) : undefined;
      if (graph && walked) {
        const list = async () => {
          hints ??= walks.graphHints?.(graph);
          return graphWalkObjects(graph, walked, await hints);
        };
        // The walk of every ref carries each ref tip's bitmap over its positions.
        const tips = kind === 'mirror' ? () => tipBitmapsFromGraph(graph, walked, snapshot.refs) : undefined;
        await saveWalk(walks, saved, wants, walked.order.length, list, { onKnown, giveWay }, tips);
      } else if (previous && (await recordExtended(repository, key, previous[kind], wants, moves))) {
        onKnown(key, undefined);
      } else {
        missing.push(wants);
        continue;
      }
      recorded++;
    }
    const graphBytes = graph?.bytes ?? 0;
    graph?.drop();
    collectDroppedArrays(graphBytes);
    if (missing.length === 0) return recorded;
    await giveWay();
    const { source } = await wholeRepositorySource(repository);
    const deltaBases = await repository.objects.readDeltaBases();
    for (const wants of missing) {
      const objects = basesFirst(await walkAll(source, wants, undefined), deltaBases);
      await saveWalk(walks, saved, wants, objects.length, async () => objects, { onKnown, giveWay });
    }
    return recorded + missing.length;
  } finally {
    graph?.drop();
  }
}

/** A walk recorded in this run of the recorder: its key, wants and objects. */
interface SavedWalk {
  readonly key: string;
  readonly wants: ReadonlySet<ObjectId>;
  readonly objects: readonly WalkedObject[];
}

/**
 * Records the walk of `wants`, `count` objects that `list` gives, making it known first
 * (`onKnown`: a clone waiting for it sends while it is saved) with its row keys (a clone reads by
 * key three times faster than by object id). As a copy of a walk saved earlier in the run when
 * that one holds the same objects: its wants include these (so it holds every object these
 * reach) and it holds as many (so no other). The default branch usually reaches what every ref
 * reaches; copying its parts inside the database skips listing the objects and looking up each
 * one's row key again.
 */
async function saveWalk(
  walks: RecordedWalks,
  saved: SavedWalk[],
  wants: readonly ObjectId[],
  count: number,
  list: () => Promise<readonly WalkedObject[]>,
  { onKnown, giveWay }: { onKnown: OnKnownWalk; giveWay: GiveWay },
  tips?: () => Promise<ReadonlyMap<ObjectId, Uint8Array>>,
): Promise<void> {
  const key = cloneWalkKey(wants, undefined);
  const same = saved.find((walk) => walk.objects.length === count && wants.every((id) => walk.wants.has(id)));
  if (same) {
    onKnown(key, same.objects);
    await giveWay();
    const copied = await walks.findExtendable(same.key);
    if (await copied?.saveExtended(key, [], { kept: wants, derived: new Map() })) {
      saved.push({ key, wants: new Set(wants), objects: same.objects });
      return;
    }
  }
  const objects = await list();
  const hinted = (await walks.withHints?.(objects)) ?? objects;
  if (!same) {
    onKnown(key, hinted);
    // The waiting clone takes its turn now, before this walk's tip bitmaps are made and it is
    // encoded and saved (which may wait until that clone's pack is sent).
    await giveWay();
  }
  // Bitmaps that cannot be made leave their clones to walk; the walk is saved regardless.
  await walks.save(key, hinted, tips && (await tips().catch(() => undefined)));
  saved.push({ key, wants: new Set(wants), objects: hinted });
}

/**
 * The order `sendPack` writes `objects` in: every stored delta after its base when the base is
 * sent too (it pulls such bases forward). A walk recorded in this order is replayed without
 * reading any base ahead of its turn.
 */
export function basesFirst(
  objects: readonly WalkedObject[],
  deltaBases: ReadonlyMap<ObjectId, ObjectId>,
): WalkedObject[] {
  const byId = new Map(objects.map((object) => [object.id, object]));
  const placed = new Set<ObjectId>();
  const ordered: WalkedObject[] = [];
  for (const object of objects) {
    // The chain of unplaced bases below this object, deepest last (a cycle ends it).
    const chain: WalkedObject[] = [];
    const onChain = new Set<ObjectId>();
    for (let next: WalkedObject | undefined = object; next && !placed.has(next.id);) {
      if (onChain.has(next.id)) break;
      chain.push(next);
      onChain.add(next.id);
      const base = deltaBases.get(next.id);
      next = base === undefined ? undefined : byId.get(base);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = chain[i] as WalkedObject;
      placed.add(entry.id);
      ordered.push(entry);
    }
  }
  return ordered;
}
