import type { CommitSummary } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectIdLookup } from '../git/object-id-set.js';
import type { PackReaderLimits } from '../git/pack-types.js';
import type { MegaConfig } from '../platform/config.js';
import type { EntryFilter } from '../storage/clone-walks.js';
import type { PackReadyObject, StoredObjectHint } from '../storage/pack-ready.js';
import type { Repository } from '../storage/repository-store.js';
import type { StorageScope } from '../storage/storage.js';

/**
 * What smart HTTP serves: a repository addressed by a path of the Mega directory. The web layer
 * asks a `RepositoryResolver` for one; the default resolver (`stored-repositories.ts`) maps every
 * path 1:1 to a stored repository, and the monorepo area supplies a resolver whose repositories
 * may be synthetic (directory views computed on the fly). upload-pack and receive-pack only use
 * this interface, never storage directly, so both kinds serve the same way.
 */

/** One advertised ref. `peeled` is the object an annotated tag finally points to. */
export interface AdvertisedRef {
  readonly name: string;
  readonly target: ObjectId;
  readonly peeled?: ObjectId;
}

export interface RefSnapshot {
  /** Branches, tags and other refs, sorted by name (git's advertisement order). */
  readonly refs: readonly AdvertisedRef[];
  /** `HEAD` as a symbolic ref, e.g. `refs/heads/main`; advertised as `symref=HEAD:…`. */
  readonly headTarget?: string;
}

/**
 * An object opened for reading in pieces: its type and size come from the stored header. A large
 * object stored whole (a file, or a row above storage's streaming size) is inflated while
 * iterated, and stopping the iteration stops the inflating, so streaming it out never holds it
 * whole; small objects and objects stored as deltas arrive as one resolved piece.
 */
export interface OpenedObject {
  readonly type: ObjectType;
  readonly size: number;
  readonly content: AsyncIterable<Buffer>;
}

/**
 * Read access to the objects of a served repository, complete: every reader calls every method
 * and never tests for one. Sources that read one object at a time (synthetic directory views,
 * in-memory tests) extend `SingleReadObjectSource` (`single-read-objects.ts`), which supplies the
 * batched and stored-form reads from the single ones; a stored repository answers them from
 * storage in bulk (the fast paths of clone and push).
 */
export interface ObjectSource {
  /** Which of `ids` exist (for negotiation: a client's `have`). */
  hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>>;
  /** The inflated object, or undefined when absent. */
  readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined>;
  /**
   * Batched `readObject` (a few queries for many objects); yields those present, in any order.
   * Tree walks use it level by level.
   */
  readObjects(ids: readonly ObjectId[]): AsyncIterable<{ id: ObjectId; type: ObjectType; content: Buffer }>;
  /**
   * The object opened for reading in pieces (display, raw downloads, peeling tags); undefined
   * when absent. A source holding big objects streams them; others hand the whole content.
   */
  openObject(id: ObjectId): Promise<OpenedObject | undefined>;
  /** Type and inflated size without reading the content (`object-info`, `blob:limit`). */
  readObjectHeader(id: ObjectId): Promise<{ type: ObjectType; size: number } | undefined>;
  /**
   * Those of `objects` whose inflated size is at least `limit`, in a few bulk reads where the
   * source can (`blob:limit` from a recorded walk; `hint` as for `readPackReady`).
   */
  sizesAtLeast(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
    limit: number,
  ): Promise<ReadonlySet<ObjectId>>;
  readCommit(id: ObjectId): Promise<CommitSummary | undefined>;
  /** Batched `readCommit`: the commits among `ids` (other ids are left out). */
  readCommits(ids: readonly ObjectId[]): Promise<ReadonlyMap<ObjectId, CommitSummary>>;
  /**
   * Stored forms of `objects`, to be copied into a pack without inflating them, at the index of
   * each (a pack's batch needs no map of its ids to find them); undefined for objects with none
   * (absent, or a source that computes its objects), which are sent whole. A `hint` is storage's,
   * from a recorded walk (`WalkedObject.hint`): a faster read.
   */
  readPackReady(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
  ): Promise<ReadonlyArray<PackReadyObject | undefined>>;
  /** Every object stored as a delta, with its base (orders recorded clone walks). */
  readDeltaBases(): Promise<ReadonlyMap<ObjectId, ObjectId>>;
  /**
   * Full-clone fast path: every commit and tree of the repository read in a few bulk queries, so
   * a walk from all refs never goes back to storage per commit or per tree level. A source with
   * nothing faster than its single reads returns an empty snapshot (`allCommits` false).
   */
  loadCloneSnapshot(): Promise<CloneSnapshot>;
  /**
   * The trees among `ids` (a push's objects) in a few bulk reads, for the connectivity check;
   * the snapshot's `commits` may be empty.
   */
  loadTreeSnapshot(ids: readonly ObjectId[]): Promise<CloneSnapshot>;
}

/** Commits and trees of a whole repository held in memory for one clone (`loadCloneSnapshot`). */
export interface CloneSnapshot {
  /**
   * Every commit of the repository (a clone snapshot), so an id missing here is not a commit of
   * it; false when the snapshot holds only some trees (a push's).
   */
  readonly allCommits: boolean;
  readonly commits: ReadonlyMap<ObjectId, CommitSummary>;
  /** A tree's inflated content; undefined for anything not in the snapshot. */
  treeContent(id: ObjectId): Buffer | undefined;
  /** A tree's stored form; undefined for anything not in the snapshot. */
  treePackReady(id: ObjectId): PackReadyObject | undefined;
  /** Drops the inflated tree contents kept so far (the walk is done; they are re-made on demand). */
  releaseTreeContents(): void;
}

/** One ref update requested by a push (`old` / `new` are the zero id for create / delete). */
export interface RefUpdateRequest {
  readonly refName: string;
  readonly oldId: ObjectId;
  readonly newId: ObjectId;
}

/**
 * What a push policy decides for one ref update.
 * - `accept`: receive-pack applies it with compare-and-swap.
 * - `reject`: reported as `ng <ref> <reason>`; git prints `! [remote rejected] <ref> (<reason>)`.
 * - `handled`: the policy did something else with the pushed commit (e.g. opened a merge request);
 *   reported `ok`, or as a rejection carrying `reason` when set.
 * `messages` are printed by the client as `remote: …` lines, whatever the decision.
 */
export type RefDecision =
  | { readonly action: 'accept'; readonly messages?: readonly string[] }
  | { readonly action: 'reject'; readonly reason: string; readonly messages?: readonly string[] }
  | { readonly action: 'handled'; readonly reason?: string; readonly messages?: readonly string[] };

export interface PushContext {
  readonly principal: { readonly userId: number; readonly username: string; readonly isAdmin: boolean };
  readonly pushOptions: readonly string[];
  /** The objects of the repository, including those the push just stored. */
  readonly objects: ObjectSource;
  /** Base URL the client reached the server at (for links in `remote:` messages). */
  readonly baseUrl?: string;
}

export interface PushPolicy {
  /** Called once per update, after the pushed pack is stored and its connectivity checked. */
  decide(update: RefUpdateRequest, context: PushContext): Promise<RefDecision>;
}

/** The outcome of applying accepted updates: per ref, undefined = ok, a string = the reason. */
export type RefUpdateResults = ReadonlyMap<string, string | undefined>;

export interface ServedRepository {
  /** Canonical path (`/`, `/projects/foo`). */
  readonly path: string;
  /** False for a path that has no repository yet; a push creates it (when `writable`). */
  readonly exists: boolean;
  /** Whether pushes are possible at all (a read-only view says why in `readOnlyReason`). */
  readonly writable: boolean;
  readonly readOnlyReason?: string;
  /**
   * Set by a directory view whose pushes open merge requests: its push policy requires `write`
   * on each repository a push touches, so the view path itself needs only `read`.
   */
  readonly writeCheckedPerRepository?: boolean;
  /**
   * Identity under which packs of full clones may be cached (`clone-pack-cache.ts`): given it,
   * a pack is determined by the wanted ids and the request's options. Absent: never cached
   * (e.g. views computed per request).
   */
  readonly packCacheIdentity?: string;
  /**
   * Recorded full-clone walks (`clone-walk.ts`), keyed by `cloneWalkKey`. Absent: full clones
   * always walk (e.g. views computed per request).
   */
  readonly cloneWalks?: RecordedWalks;
  listRefs(): Promise<RefSnapshot>;
  readonly objects: ObjectSource;
  readonly pushPolicy: PushPolicy;
  /**
   * Stores a pushed pack (one transaction; nothing stored on error) and returns the ids it held.
   * Creates the repository on the first push. Throws a MegaError (`invalid`) for a bad pack.
   */
  receivePack(pack: IncomingPack, limits: ReceiveLimits): Promise<ReceivedPack>;
  /**
   * Applies accepted updates with compare-and-swap on each old id; `atomic` applies all or none.
   * On a first push, the repository comes into existence here, in one transaction with its refs
   * (and `options.onCreate`), or not at all when every update fails.
   */
  updateRefs(updates: readonly RefUpdateRequest[], options: RefUpdateOptions): Promise<RefUpdateResults>;
}

export interface RefUpdateOptions {
  readonly atomic: boolean;
  /**
   * Runs inside the transaction that creates a repository by its first push, after its refs
   * and HEAD are written (the Mega directory adds the b-link there). Throwing undoes the whole
   * creation; a `conflict` is retried a few times (another change moved the directory).
   */
  readonly onCreate?: (scope: StorageScope, repository: Repository) => Promise<void>;
}

/** One object chosen for a pack, in pack order. */
export interface WalkedObject {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Where storage keeps it, when a recorded walk knows (reads it faster; see `clone-walk.ts`). */
  readonly hint?: StoredObjectHint;
}

/**
 * Objects chosen for a pack, in pack order, as a recorded walk's entries picked without decoding
 * them (`RecordView.pickEntries`, `RecordedWalks.reachableEntries`) or as decoded objects
 * (`walk-list.ts`). A pack cut out of a cached full pack needs only the raw ids: a `blob:limit`
 * clone of the 497k-object bench repository lists 356k objects, and building each as an object
 * with a hex id came before its pack's first byte.
 */
export interface WalkList {
  readonly count: number;
  /** Raw id length of the list's ids (20 for SHA-1, 32 for SHA-256). */
  readonly rawLength: number;
  /**
   * The raw ids one after another in the list's order (`count * rawLength` bytes); undefined when
   * one is not a hex id of that length (nothing in a cached pack can match it).
   */
  rawIds(): Buffer | undefined;
  /** The list as objects (what sending from storage needs), decoded when first asked. */
  objects(): readonly WalkedObject[];
  /** Those of `ids` the list holds (include-tag's question), without decoding it. */
  among(ids: readonly ObjectId[]): Set<ObjectId>;
}

/** Object lists of full-clone walks, in pack order, by key. */
export interface RecordedWalks {
  find(key: string): Promise<readonly WalkedObject[] | undefined>;
  /** `tips`: which of `objects` each ref tip reaches (bit i: `objects[i]`), recorded with them. */
  save(
    key: string,
    objects: readonly WalkedObject[],
    tips?: ReadonlyMap<ObjectId, Uint8Array>,
  ): Promise<void>;
  /**
   * The walk of `wants` (no haves, no filter) from the tips' bitmaps of a recorded walk, in its
   * order (`tip-reachability.ts`); undefined when no recorded walk has a bitmap for each want.
   */
  reachableFrom?(wants: readonly ObjectId[]): Promise<readonly WalkedObject[] | undefined>;
  /** `reachableFrom`'s entries picked, not decoded (`WalkList`). */
  reachableEntries?(wants: readonly ObjectId[]): Promise<WalkList | undefined>;
  /**
   * Records under `key` the walk of `wants` selected by the tips' bitmaps of a recorded walk
   * (`reachableFrom`), its bytes copied; false when no recorded walk has a bitmap for each want.
   */
  saveFromTips?(key: string, wants: readonly ObjectId[]): Promise<boolean>;
  /**
   * `objects` with where storage keeps each (`hint`), so a clone sending them reads faster and
   * `save` records them without looking them up. Absent: objects are sent and saved as they are.
   */
  withHints?(objects: readonly WalkedObject[]): Promise<readonly WalkedObject[]>;
  /**
   * Whether a walk is recorded under `key` (nothing of it is read); if so it is kept as if
   * recorded now (the oldest walks are dropped first).
   */
  keep(key: string): Promise<boolean>;
  /** The walk under `key`, to extend after a push without reading its objects into memory. */
  findExtendable(key: string): Promise<ExtendableWalk | undefined>;
  /**
   * The walk under `key`, read but not decoded: a partial clone decodes only what its filter
   * keeps (`record-views.ts`). Absent: such clones decode the whole walk (`find`).
   */
  findView?(key: string): Promise<RecordView | undefined>;
  /**
   * The object graph of the last pushed pack when that pack may hold the whole repository (a
   * push to a repository without refs: its first), kept by the ingest. The walk recorder lists
   * the likely clones' objects from it instead of reading every tree back (`graph-walk.ts`).
   * Handed over once: the repository lets go of it. Absent, or undefined, otherwise.
   */
  takePushGraph?(): ObjectGraph | undefined;
  /**
   * Where storage keeps each object of `graph` (the push's, `takePushGraph`) that the repository
   * holds, by graph number: the walks of a first push carry their hints from the start.
   */
  graphHints?(graph: ObjectGraph): Promise<GraphHintOf>;
}

/** Where storage keeps a graph's object, by its graph number (undefined: not known). */
export type GraphHintOf = (number: number) => StoredObjectHint | undefined;

/** A recorded walk as stored, its entries decoded only when picked. */
export interface RecordView {
  /** Raw id length of its entries (20 for SHA-1, 32 for SHA-256). */
  readonly rawLength: number;
  /**
   * The entries `keep` picks, in the walk's order, with their row keys: `keep` is shown each
   * entry's type, raw id (`data[offset…]`, `rawLength` bytes), row key (0: none) and the size
   * class recorded with it (0 to 31; 0: none; see `sizeClassAtLeast`), nothing decoded. Undefined when
   * the stored walk turns out damaged.
   */
  pick(keep: EntryFilter): WalkedObject[] | undefined;
  /** `pick`'s entries copied as raw ids, not decoded until asked (`WalkList`). */
  pickEntries?(keep: EntryFilter): WalkList | undefined;
  /**
   * Whether an object of the size class `pick` showed is at least `limit` bytes; undefined when
   * the class does not tell (then `rowsSizedAtLeast` asks).
   */
  sizeClassAtLeast(sizeClass: number, limit: number): boolean | undefined;
  /** Those of `rows` (row keys `pick` showed) whose objects' size is at least `limit`. */
  rowsSizedAtLeast(rows: readonly number[], limit: number): Promise<ReadonlySet<number>>;
}

/** A recorded walk being extended (`clone-walk-extension.ts`). */
export interface ExtendableWalk {
  /** How many entries the walk has. */
  readonly objectCount: number;
  /** Those of `ids` the walk holds. */
  among(ids: readonly ObjectId[]): ReadonlySet<ObjectId>;
  /** Where each of `ids` the walk holds is in it (0-based, in the walk's order). */
  positions(ids: readonly ObjectId[]): ReadonlyMap<ObjectId, number>;
  /** The ref tips this walk has a bitmap for (`tip-reachability.ts`). */
  bitmapTips(): Promise<ReadonlySet<ObjectId>>;
  /**
   * ORs the bitmaps of `tips` over this walk into `bits` (bit i: entry i; it may be longer than
   * this walk); false when one is missing or damaged.
   */
  orTipBitmaps(tips: readonly ObjectId[], bits: Uint8Array): Promise<boolean>;
  /**
   * Records under `key` this walk followed by `appended`, with the bitmaps of `tips.kept` copied
   * and `tips.derived` (bitmaps over the extended walk) written in the same transaction; false
   * when this walk is gone meanwhile.
   */
  saveExtended(key: string, appended: readonly WalkedObject[], tips: ExtendedTips): Promise<boolean>;
  /**
   * Records under `key` the entries of this walk followed by `appended` that `selected` marks
   * (bit i: entry i of that sequence), in order, with `tips` as `saveExtended` takes them, each
   * reduced to the selected entries: the walk of refs that no longer reach all of this one (a
   * branch deleted unmerged, a ref rebased). False when a kept tip's bitmap is missing or damaged.
   */
  saveSelected(
    key: string,
    appended: readonly WalkedObject[],
    selected: Uint8Array,
    tips: ExtendedTips,
  ): Promise<boolean>;
}

/** The tip bitmaps an extended walk carries (`ExtendableWalk.saveExtended`). */
export interface ExtendedTips {
  /** Tips whose bitmaps over the walk being extended carry over: the extended walk's wants. */
  readonly kept: readonly ObjectId[];
  /** New bitmaps over the extended walk, by tip (moved refs' new tips: `moved-tip-bitmaps.ts`). */
  readonly derived: ReadonlyMap<ObjectId, Uint8Array>;
}

/** A pushed pack as its transport delivers it. */
export interface IncomingPack {
  readonly chunks: AsyncIterable<Buffer>;
  /**
   * Where the pack ends: with the input (smart HTTP: the request body; bytes after the trailer
   * are refused), or at its own trailer, the input going on (git over SSH: the client keeps its
   * side of the channel open until it has read the report).
   */
  readonly endsAt: 'input' | 'trailer';
  /**
   * With `endsAt: 'trailer'`: how many bytes the transport has received beyond what was read.
   * Asked once the pack is stored, before any ref moves: bytes that followed the trailer in a
   * later piece of input are refused then, as those that came with it are while reading.
   */
  readonly unreadBytes?: () => number;
}

/**
 * What one push may bring, with git's pack-reader names from here down to storage's ingest
 * (which enforces them while reading the pack). Built from the configuration by `pushLimits`.
 */
export type ReceiveLimits = Pick<
  PackReaderLimits,
  'maxObjects' | 'maxObjectSize' | 'maxNonBlobSize' | 'maxPackSize'
>;

/** The configured `limits` as a push's: the request body limit bounds the pack. */
export function pushLimits(
  limits: Pick<
    MegaConfig['limits'],
    'maxObjectsPerPush' | 'maxObjectBytes' | 'maxNonBlobBytes' | 'maxRequestBytes'
  >,
): ReceiveLimits {
  return {
    maxObjects: limits.maxObjectsPerPush,
    maxObjectSize: limits.maxObjectBytes,
    maxNonBlobSize: limits.maxNonBlobBytes,
    maxPackSize: limits.maxRequestBytes,
  };
}

export interface ReceivedPack {
  /** Every object the pack held (for the connectivity check): a list, or a set to look ids up in. */
  readonly ids: readonly ObjectId[] | ObjectIdLookup;
  /**
   * Ids the pack's commits, trees and tags point to that are not in the pack, when the store
   * collected them while decoding. With it, the connectivity check is one `hasObjects` of these
   * instead of re-reading every pushed tree.
   */
  readonly externalReferences?: readonly ObjectId[];
}

export type AccessIntent = 'read' | 'write';

/**
 * Which paths the caller may read (`src/access` `Permissions` in the HTTP layer). Whether the
 * caller may open `path` at all is checked before resolving; resolvers use this to leave out of
 * what they serve anything else the caller may not read (a directory view's private repositories).
 */
export interface PathReader {
  canRead(path: string): boolean;
}

/** A reader of every path: operators' commands and tests that are not about permissions. */
export const EVERY_PATH: PathReader = { canRead: () => true };

/** Maps a URL path to a served repository, or throws `not_found` / `forbidden` MegaErrors. */
export interface RepositoryResolver {
  resolve(path: string, intent: AccessIntent, reader: PathReader): Promise<ServedRepository>;
}

/**
 * The same repository with another push policy and/or ref update: refs, objects and clone caches
 * are the base's, and its state is read late (a first push creates the base repository).
 */
export function overriding(
  base: ServedRepository,
  overrides: { pushPolicy?: PushPolicy; updateRefs?: ServedRepository['updateRefs'] },
): ServedRepository {
  return {
    path: base.path,
    // Read late: a first push creates the base repository.
    get exists() {
      return base.exists;
    },
    writable: base.writable,
    ...(base.readOnlyReason !== undefined ? { readOnlyReason: base.readOnlyReason } : {}),
    // Same refs and objects as the base: its clone caches apply.
    get packCacheIdentity() {
      return base.packCacheIdentity;
    },
    ...(base.cloneWalks ? { cloneWalks: base.cloneWalks } : {}),
    listRefs: () => base.listRefs(),
    objects: base.objects,
    pushPolicy: overrides.pushPolicy ?? base.pushPolicy,
    receivePack: (pack, limits) => base.receivePack(pack, limits),
    updateRefs: overrides.updateRefs ?? ((updates, options) => base.updateRefs(updates, options)),
  };
}
