import type { ObjectId } from '../git/object-id.js';
import type { PktLine } from '../git/pkt-line.js';
import {
  MAX_HAVES,
  parseV0FetchRequest,
  parseV0HaveRound,
  parseV0WantSection,
  parseV2FetchArgs,
  type FetchRequest,
} from '../git/protocol/fetch-request.js';
import { negotiateV0, negotiateV2, newV0NegotiationState } from '../git/protocol/negotiation.js';
import { notFound, tooLarge } from '../platform/errors.js';
import { CommitCache, CommonCommits } from './common-commits.js';
import { walkObjects } from './object-walk.js';
import { includedTags, walkListOf, withTags } from './walk-list.js';
import {
  cloneWalkKey,
  fullCloneList,
  isLikelyCloneWant,
  likelyWantSets,
  recordCloneWalk,
} from './clone-walk.js';
import type { CloneWalkRecorder } from './clone-walk-recorder.js';
import type { PackCache } from '../storage/pack-cache.js';
import type { StoredObjectHint } from '../storage/pack-ready.js';
import { clonePackKey, sendCachedPack, teeToCache } from './clone-pack-cache.js';
import { sendCachedSubset } from './cached-pack-subset.js';
import { PackEntryIndexBuilder } from './pack-entry-index.js';
import { objectFormatOfList, sendPack, type ByteSink, type PackSendStats } from './pack-sender.js';
import type { GitResponseWriter } from './response-writer.js';
import type {
  ObjectSource,
  RefSnapshot,
  ServedRepository,
  WalkList,
  WalkedObject,
} from './served-repository.js';
import { readTagTarget } from './tag-target.js';
import { planShallow, requestsShallowInfo, type ShallowPlan } from './shallow.js';

export type ReadPacket = () => Promise<PktLine | undefined>;

export interface UploadPackOptions {
  /** Where packs of full clones are kept and reused (repositories with a `packCacheIdentity`). */
  readonly packCache?: PackCache;
  /** The recorder of clone walks after pushes: a clone of a walk it is recording waits for it. */
  readonly walkRecorder?: Pick<CloneWalkRecorder, 'recorded'>;
}

/** Counters an upload-pack run reports (metrics, logs). */
export interface UploadPackOutcome {
  readonly sentPack: boolean;
  readonly stats?: PackSendStats;
}

/** A short label for metrics: `negotiation`, `pack`, or `pack_cached` (from the clone cache). */
export function outcomeLabel(outcome: UploadPackOutcome): string {
  if (!outcome.sentPack) return 'negotiation';
  return outcome.stats?.fromCache ? 'pack_cached' : 'pack';
}

/**
 * One stateless protocol v0/v1 upload-pack request (http-protocol.txt "Smart Service
 * git-upload-pack"): shallow info, one negotiation round, and the pack once the client is done.
 */
export async function uploadPackV0(
  repository: ServedRepository,
  read: ReadPacket,
  makeWriter: (request: FetchRequest) => GitResponseWriter,
  options: UploadPackOptions = {},
): Promise<UploadPackOutcome> {
  const request = await parseV0FetchRequest(read);
  const plain = makeWriter({ ...request, sideband: 'none' });
  if (request.wants.length === 0) return { sentPack: false };
  const context = await prepareFetch(repository, request);
  if (requestsShallowInfo(request)) {
    for (const id of context.shallow.shallow) await plain.line(`shallow ${id}`);
    for (const id of context.shallow.unshallow) await plain.line(`unshallow ${id}`);
    await plain.flushPkt();
  }
  if (request.wantsOnly) return { sentPack: false };
  const negotiation = await negotiateV0(request, context.oracle);
  for (const line of negotiation.lines) await plain.line(line);
  if (!negotiation.sendPack) return { sentPack: false };
  const writer = makeWriter(request);
  const stats = await streamPack(repository, request, context, negotiation.common, writer, options);
  return { sentPack: true, stats };
}

/**
 * A stateful protocol v0/v1 upload-pack conversation, as over SSH (pack-protocol.txt "Packfile
 * Negotiation"): the want section, shallow info right after it, then rounds of `have` lines each
 * answered before the client sends the next, until `done` (or `ready` with `no-done`) and the
 * pack. A client that wants nothing (a flush alone, `git ls-remote`) or hangs up ends it quietly.
 */
export async function uploadPackV0Session(
  repository: ServedRepository,
  read: ReadPacket,
  makeWriter: (request: FetchRequest) => GitResponseWriter,
  options: UploadPackOptions = {},
): Promise<UploadPackOutcome> {
  const request = await parseV0WantSection(read);
  if (request === undefined || request.wants.length === 0) return { sentPack: false };
  const plain = makeWriter({ ...request, sideband: 'none' });
  const context = await prepareFetch(repository, request);
  if (requestsShallowInfo(request)) {
    for (const id of context.shallow.shallow) await plain.line(`shallow ${id}`);
    for (const id of context.shallow.unshallow) await plain.line(`unshallow ${id}`);
    await plain.flushPkt();
  }
  const state = newV0NegotiationState();
  let haves = 0;
  for (;;) {
    const round: FetchRequest = { ...request, haves: [], done: false };
    if ((await parseV0HaveRound(read, round)) === 'end') return { sentPack: false };
    haves += round.haves.length;
    if (haves > MAX_HAVES)
      throw tooLarge('negotiation_too_large', 'too many have lines', { limit: MAX_HAVES });
    const negotiation = await negotiateV0(round, context.oracle, state);
    for (const line of negotiation.lines) await plain.line(line);
    if (negotiation.sendPack) {
      const stats = await streamPack(
        repository,
        request,
        context,
        state.common,
        makeWriter(request),
        options,
      );
      return { sentPack: true, stats };
    }
  }
}

/** Protocol v2 `fetch` (protocol-v2.txt "fetch"): acknowledgments, shallow-info, packfile. */
export async function uploadPackV2Fetch(
  repository: ServedRepository,
  args: readonly string[],
  writer: GitResponseWriter,
  options: UploadPackOptions = {},
): Promise<UploadPackOutcome> {
  const request = parseV2FetchArgs(args);
  if (request.wants.length === 0) {
    await writer.flushPkt();
    return { sentPack: false };
  }
  const context = await prepareFetch(repository, request);
  const negotiation = await negotiateV2(request, context.oracle);
  for (const line of negotiation.lines) await writer.line(line);
  if (!negotiation.sendPack) {
    await writer.flushPkt();
    return { sentPack: false };
  }
  if (negotiation.lines.length > 0) await writer.raw(Buffer.from('0001'));
  if (requestsShallowInfo(request) || request.shallows.length > 0) {
    await writer.line('shallow-info');
    for (const id of context.shallow.shallow) await writer.line(`shallow ${id}`);
    for (const id of context.shallow.unshallow) await writer.line(`unshallow ${id}`);
    await writer.raw(Buffer.from('0001'));
  }
  await writer.line('packfile');
  const stats = await streamPack(repository, request, context, negotiation.common, writer, options);
  return { sentPack: true, stats };
}

interface FetchContext {
  /** Nothing the client has and no depth limit: the walk visits the whole history. */
  readonly fullClone: boolean;
  readonly commits: CommitCache;
  readonly oracle: CommonCommits;
  readonly shallow: ShallowPlan;
  readonly snapshot: RefSnapshot;
}

async function prepareFetch(repository: ServedRepository, request: FetchRequest): Promise<FetchContext> {
  const present = await repository.objects.hasObjects(request.wants);
  const missing = request.wants.find((id) => !present.has(id));
  if (missing) throw notFound('want_not_found', `upload-pack: not our ref ${missing}`);
  const objects = repository.objects;
  const commits = new CommitCache(objects);
  const fullClone = isFullClone(request);
  // A full clone negotiates nothing and cuts no history: its wanted commits are not needed.
  // Otherwise one batched read for every wanted commit: a mirror fetch may want thousands of refs.
  if (!fullClone) await commits.prefetch(request.wants);
  const wantCommits = fullClone ? [] : await peelToCommits(objects, request.wants, commits);
  const snapshot = await repository.listRefs();
  const shallow = await planShallow(request, wantCommits, commits, async (name) => {
    const ref = snapshot.refs.find(
      (r) => r.name === name || r.name === `refs/heads/${name}` || r.name === `refs/tags/${name}`,
    );
    return ref ? (ref.peeled ?? ref.target) : undefined;
  });
  const oracle = new CommonCommits(objects, wantCommits, commits);
  return { fullClone, commits, oracle, shallow, snapshot };
}

async function peelToCommits(
  objects: ObjectSource,
  ids: readonly ObjectId[],
  commits: CommitCache,
): Promise<ObjectId[]> {
  const result: ObjectId[] = [];
  for (const want of ids) {
    let id = want;
    for (let hops = 0; hops < 16; hops++) {
      if (await commits.get(id)) {
        result.push(id);
        break;
      }
      const target = await readTagTarget(objects, id);
      if (target === undefined) break;
      id = target;
    }
  }
  return result;
}

async function streamPack(
  repository: ServedRepository,
  request: FetchRequest,
  context: FetchContext,
  common: readonly ObjectId[],
  writer: GitResponseWriter,
  options: UploadPackOptions,
): Promise<PackSendStats> {
  writer.beginSideband();
  const includeTags = request.includeTag ? annotatedTags(context.snapshot) : [];
  const cache = options.packCache;
  const cacheKey =
    cache?.enabled && repository.packCacheIdentity && context.fullClone
      ? clonePackKey(repository.packCacheIdentity, request, includeTags)
      : undefined;
  const cached = cacheKey ? await cache?.open(cacheKey) : undefined;
  if (cached) {
    try {
      await writer.progress('Enumerating objects, done.\n');
      const objects = await sendCachedPack(cached, writer);
      await finishPack(request, writer, `Total ${objects}, reused from the clone cache\n`);
      return { objects, reusedDeltas: 0, bytes: cached.size, fromCache: true };
    } finally {
      // A client gone before the pack began still lets go of the shared copy.
      cached.shared?.release();
    }
  }
  await writer.progress('Enumerating objects, done.\n');
  // The cached full packs this clone may be cut out of (`fromFullPack`): with one, the list is
  // taken as a record's entries, their raw ids not decoded (all the cut needs).
  const fullPacks = cacheKey ? await cachedFullPacks(cache, repository, request, context, includeTags) : [];
  const chosen = await chooseObjects(repository, request, context, common, options, fullPacks.length > 0);
  // Wanted tags are sent anyway (clones want every tag): only the others need looking for.
  const wanted = new Set(request.wants);
  const tags = includedTags(
    chosen.list,
    includeTags.filter(({ tag }) => !wanted.has(tag)),
  );
  const chosenList = withTags(chosen.list, tags);
  const how = chosen.fromRecord ? ' (walk recorded earlier)' : '';
  await writer.progress(`Counting objects: ${chosenList.count}, done${how}.\n`);
  // A pack cut out of a cached full pack is not cached again: its bytes are in the cache already,
  // inside the full pack, and the next clone of the same wants is cut again. Teeing it into a file
  // of its own cost ~130 ms of the request's CPU (the file's writes) in a `release-1` clone of
  // the `large` bench repository, and the cache's room twice.
  const cut =
    fullPacks.length > 0
      ? await fromFullPack(cache, fullPacks, request, chosen, chosenList, writer)
      : undefined;
  if (cut) {
    await finishPack(request, writer, totalLine(cut, ", cut from a full clone's cached pack"));
    return cut;
  }
  const list = chosenList.objects();
  const entry = cacheKey ? await cache?.create(cacheKey) : undefined;
  // A full clone's cached pack keeps where each entry starts, so a partial clone of the same
  // wants can be cut out of it (`fromFullPack`).
  const entryIndex =
    entry && request.filter === undefined && request.ofsDelta
      ? new PackEntryIndexBuilder(list.length, objectFormatOfList(list).rawLength)
      : undefined;
  // A fresh full-clone walk is recorded in the order written (delta bases first), minus
  // include-tag's additions: replaying it then needs no base pulled forward.
  const added = new Set(tags);
  const written: WalkedObject[] = [];
  const record = (object: WalkedObject, hint: StoredObjectHint | undefined) => {
    if (!added.has(object.id))
      written.push(hint === undefined ? object : { id: object.id, type: object.type, hint });
  };
  const onWritten =
    chosen.record || entryIndex
      ? (object: WalkedObject, hint: StoredObjectHint | undefined, offset: number) => {
          if (chosen.record) record(object, hint);
          entryIndex?.add(object.id, offset);
        }
      : undefined;
  let stats: PackSendStats;
  try {
    stats = await sendPack(
      chosen.source,
      list,
      {
        ofsDelta: request.ofsDelta,
        thinPack: request.thinPack,
        clientHas: chosen.clientHas,
        ...(onWritten ? { onWritten } : {}),
      },
      entry ? teeToCache(writer, entry) : writer,
    );
  } catch (error) {
    await entry?.abort();
    throw error;
  }
  await entry?.commit(entryIndex?.finish());
  await finishPack(request, writer, totalLine(stats));
  // Before the response ends, so the next clone finds it (rows come from the reads above: this
  // costs an encoding and a few inserts). A failure only means the next clone walks again.
  if (chosen.record) await chosen.record(written);
  return stats;
}

/** The progress line that ends a pack, as git's ends it; `how` tells where its entries came from. */
function totalLine(stats: PackSendStats, how = ''): string {
  return `Total ${stats.objects} (delta ${stats.reusedDeltas}), reused ${stats.reusedDeltas} (delta ${stats.reusedDeltas})${how}\n`;
}

/**
 * The keys of the full clones' packs cached with their entry index that may hold what `request`
 * sends (`fromFullPack`). A `blob:none` or `blob:limit` clone looks for the full clone of the
 * same wants; an unfiltered clone for the full clones of the other likely want sets, whose packs
 * hold every object it sends when it is answered from a record. The full clone asked include-tag
 * or not (`git clone --single-branch` does not), as this one did or not: its pack holds what this
 * one sends either way. Only the index files are looked for (nothing is read).
 */
async function cachedFullPacks(
  cache: PackCache | undefined,
  repository: ServedRepository,
  request: FetchRequest,
  context: FetchContext,
  includeTags: ReadonlyArray<{ readonly tag: ObjectId; readonly peeled: ObjectId }>,
): Promise<string[]> {
  if (!cache || !repository.packCacheIdentity || !request.ofsDelta) return [];
  const identity = repository.packCacheIdentity;
  const unfiltered = withoutFilter(request);
  const tagChoices = [includeTags, includeTags.length > 0 ? [] : annotatedTags(context.snapshot)];
  const keys = fullPackCandidates(request, context).flatMap((wants) =>
    tagChoices.map((tags) => clonePackKey(identity, { ...unfiltered, wants }, tags)),
  );
  const cached: string[] = [];
  for (const key of keys) if (await cache.hasIndexed(key)) cached.push(key);
  return cached;
}

/**
 * The pack cut out of one of the cached full packs `keys` that holds all of `list`
 * (`cached-pack-subset.ts`); undefined when none does (nothing written then). Its entries are
 * copied from the file instead of read row by row (server CPU −24 % for a branch of the `large`
 * bench repository, −57 % for its default branch). An unfiltered clone is cut only when its list
 * came from a record: a fresh walk is recorded from the entries as they are written.
 */
async function fromFullPack(
  cache: PackCache | undefined,
  keys: readonly string[],
  request: FetchRequest,
  chosen: ChosenObjects,
  list: WalkList,
  sink: ByteSink,
): Promise<PackSendStats | undefined> {
  if (!cache || (request.filter === undefined && !chosen.fromRecord)) return undefined;
  for (const key of keys) {
    const pack = await cache.openIndexed(key, list.rawLength);
    if (!pack) continue;
    try {
      const sent = await sendCachedSubset(pack, list, chosen.source, sink);
      if (sent) return sent;
    } finally {
      await pack.file.close();
    }
  }
  return undefined;
}

/** The want sets of the full clones whose cached packs may hold what `request` sends. */
function fullPackCandidates(
  request: FetchRequest,
  context: FetchContext,
): ReadonlyArray<FetchRequest['wants']> {
  const kind = request.filter?.kind;
  if (kind === 'blob:none' || kind === 'blob:limit') return [request.wants];
  // tree:<n> keeps a few percent of a full pack: reading its index would cost more than its rows.
  if (kind !== undefined) return [];
  const own = cloneWalkKey(request.wants, undefined);
  return likelyWantSets(context.snapshot).filter((wants) => cloneWalkKey(wants, undefined) !== own);
}

/** The annotated tags among the refs, with what they peel to (include-tag's candidates). */
function annotatedTags(snapshot: RefSnapshot): Array<{ tag: ObjectId; peeled: ObjectId }> {
  return snapshot.refs.flatMap((ref) =>
    ref.name.startsWith('refs/tags/') && ref.peeled !== undefined
      ? [{ tag: ref.target, peeled: ref.peeled }]
      : [],
  );
}

function withoutFilter(request: FetchRequest): FetchRequest {
  const unfiltered = { ...request };
  delete unfiltered.filter;
  return unfiltered;
}

interface ChosenObjects {
  readonly list: WalkList;
  readonly source: ObjectSource;
  /** Trees and blobs the client has (thin-pack bases). */
  readonly clientHas: ReadonlySet<ObjectId>;
  /** The objects came from a recorded walk (`clone-walk.ts`). */
  readonly fromRecord?: boolean;
  /** Records a full clone's fresh walk (in the order its pack was written), once it is sent. */
  readonly record?: (written: readonly WalkedObject[]) => Promise<void>;
}

/**
 * What the pack holds (before include-tag): a full clone's (recorded) walk, or a walk from haves.
 * `picked`: a full clone's list taken from a record is left as the record's entries, not decoded
 * (the clone may be cut out of a cached full pack, which needs only their raw ids).
 */
async function chooseObjects(
  repository: ServedRepository,
  request: FetchRequest,
  context: FetchContext,
  common: readonly ObjectId[],
  options: UploadPackOptions,
  picked: boolean,
): Promise<ChosenObjects> {
  if (context.fullClone) {
    // The clone right after a push: the recorder is walking for these wants; replay its walk
    // (filtered, for a partial clone).
    const unfiltered = isLikelyCloneWant(context.snapshot, request.wants)
      ? await options.walkRecorder?.recorded(repository.path, cloneWalkKey(request.wants, undefined))
      : undefined;
    const walk = await fullCloneList(
      repository,
      request.wants,
      request.filter,
      context.snapshot.refs,
      unfiltered,
      picked,
    );
    return {
      list: walk.list,
      source: walk.source,
      clientHas: new Set(),
      fromRecord: !walk.fresh,
      ...(walk.fresh
        ? { record: (written) => recordCloneWalk(repository, request.wants, request.filter, written) }
        : {}),
    };
  }
  const walk = await walkObjects(repository.objects, context.commits, {
    wants: [...request.wants, ...context.shallow.extraWants],
    haves: [...common, ...context.shallow.extraHaves],
    boundary: context.shallow.boundary,
    clientShallow: new Set(request.shallows),
    ...(request.filter ? { filter: request.filter } : {}),
  });
  return { list: walkListOf(walk.objects), source: repository.objects, clientHas: walk.clientHas };
}

async function finishPack(request: FetchRequest, writer: GitResponseWriter, summary: string): Promise<void> {
  await writer.flushData();
  await writer.progress(summary);
  if (request.sideband !== 'none') await writer.flushPkt();
}

/** Nothing the client has and no depth limit: the walk will visit the whole history. */
function isFullClone(request: FetchRequest): boolean {
  return (
    request.haves.length === 0 &&
    request.shallows.length === 0 &&
    request.depth === 0 &&
    request.deepenSince === 0 &&
    request.deepenNot.length === 0
  );
}
