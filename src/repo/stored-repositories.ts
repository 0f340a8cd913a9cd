import type { CommitSummary } from '../git/commit.js';
import type { ObjectGraph } from '../git/object-graph.js';
import type { ObjectId } from '../git/object-id.js';
import { invalid, isMegaError, notFound } from '../platform/errors.js';
import type { PackReadyObject, StoredObjectHint } from '../storage/pack-ready.js';
import { sizeClassAtLeast } from '../storage/size-class.js';
import type { WrittenRowKeys } from '../storage/object-writer.js';
import type { Repository } from '../storage/repository-store.js';
import type { StoredTrees } from '../storage/repository-scan.js';
import type { RepositoryKind } from '../storage/schema.js';
import type { Storage } from '../storage/storage.js';
import { adoptHead, applyRefUpdates, refFailureReason, succeeded } from './stored-ref-updates.js';
import { emptySnapshot } from './single-read-objects.js';
import { NOT_A_TAG, PeeledTags } from './peeled-tags.js';
import type {
  AccessIntent,
  AdvertisedRef,
  CloneSnapshot,
  IncomingPack,
  ObjectSource,
  PushPolicy,
  ReceiveLimits,
  ReceivedPack,
  RecordedWalks,
  RefUpdateOptions,
  RefUpdateRequest,
  RefUpdateResults,
  RepositoryResolver,
  ServedRepository,
} from './served-repository.js';

export interface StoredRepositoryOptions {
  /** The kind a first push gives a new repository at `path` (default `hosted`). */
  readonly kindOf?: (path: string) => RepositoryKind;
  /** Annotated tags peeled before, shared by the repositories the resolver serves. */
  readonly peeledTags?: PeeledTags;
}

/**
 * The default resolver: every path is one stored repository (`repositories.path`); a push to a
 * path without one creates it. The monorepo area wraps or replaces this.
 */
export function createStoredRepositoryResolver(
  storage: Storage,
  options: StoredRepositoryOptions,
): RepositoryResolver {
  const shared = { ...options, peeledTags: options.peeledTags ?? new PeeledTags() };
  return {
    async resolve(path: string, intent: AccessIntent): Promise<ServedRepository> {
      const repository = await storage.repositories.find(path);
      if (!repository && intent === 'read') {
        throw notFound('repository_not_found', `repository '${path}' not found`, { path });
      }
      return new StoredRepository(storage, path, repository, shared);
    },
  };
}

/** A repository served straight from storage. */
export class StoredRepository implements ServedRepository {
  readonly writable = true;
  readonly objects: ObjectSource;
  readonly pushPolicy: PushPolicy;
  /** `repository` is the pending row of a first push (no path, no refs yet). */
  private pending = false;
  /** The last pushed pack's object graph, when it may hold the whole repository (`takePushGraph`). */
  private pushGraph: ObjectGraph | undefined;
  /** Where that push stored the graph's objects, when its database told (`graphHints`). */
  private readonly rowKeysOfGraph = new WeakMap<ObjectGraph, WrittenRowKeys>();

  constructor(
    private readonly storage: Storage,
    readonly path: string,
    private repository: Repository | undefined,
    private readonly options: StoredRepositoryOptions,
  ) {
    this.objects = new StoredObjects(storage, () => this.repository?.id);
    this.pushPolicy = ACCEPT_EVERY_UPDATE;
  }

  readonly cloneWalks: RecordedWalks = {
    find: async (key) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.find(repository.id, key) : undefined;
    },
    save: async (key, objects, tips) => {
      const repository = this.repository;
      if (repository) await this.storage.cloneWalks.save(repository.id, key, objects, tips);
    },
    reachableFrom: async (wants) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.reachableFrom(repository.id, wants) : undefined;
    },
    reachableEntries: async (wants) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.reachableEntries(repository.id, wants) : undefined;
    },
    saveFromTips: async (key, wants) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.saveFromTips(repository.id, key, wants) : false;
    },
    withHints: async (objects) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.withRowKeys(repository.id, objects) : objects;
    },
    keep: async (key) => {
      const repository = this.repository;
      return repository ? this.storage.cloneWalks.keep(repository.id, key) : false;
    },
    findExtendable: async (key) => {
      const repository = this.repository;
      const bytes = repository ? await this.storage.cloneWalks.findBytes(repository.id, key) : undefined;
      if (!repository || !bytes) return undefined;
      const walks = this.storage.cloneWalks;
      return {
        objectCount: bytes.objectCount,
        among: (ids) => bytes.among(ids),
        positions: (ids) => bytes.positions(ids),
        bitmapTips: () => walks.bitmapTips(bytes.walkId),
        orTipBitmaps: (tips, bits) => walks.orTipBitmaps(bytes.walkId, bytes.objectCount, tips, bits),
        saveExtended: (newKey, appended, tips) =>
          walks.saveExtension(repository.id, newKey, bytes, appended, tips),
        saveSelected: (newKey, appended, selected, tips) =>
          walks.saveSelection(repository.id, newKey, bytes, appended, selected, tips),
      };
    },
    findView: async (key) => {
      const repository = this.repository;
      const bytes = repository ? await this.storage.cloneWalks.findBytes(repository.id, key) : undefined;
      return (
        bytes && {
          rawLength: bytes.rawLength,
          pick: (keep) => bytes.pick(keep),
          pickEntries: (keep) => bytes.pickEntries(keep),
          sizeClassAtLeast,
          rowsSizedAtLeast: (rows, limit) => this.storage.objects.rowsSizedAtLeast(rows, limit),
        }
      );
    },
    takePushGraph: () => {
      const graph = this.pushGraph;
      this.pushGraph = undefined;
      return graph;
    },
    graphHints: async (graph) => {
      const repository = this.repository;
      // Used once: the write's id set and keys are freed with the hints made.
      const written = this.rowKeysOfGraph.get(graph);
      this.rowKeysOfGraph.delete(graph);
      return repository
        ? this.storage.cloneWalks.graphRowKeys(repository.id, graph, written)
        : () => undefined;
    },
  };

  /** False until a first push has created the repository (a pending one does not exist yet). */
  get exists(): boolean {
    return this.repository !== undefined && !this.pending;
  }

  /** The row's id and creation time: a repository re-created at the same path is another one. */
  get packCacheIdentity(): string | undefined {
    const repository = this.repository;
    return repository ? `stored:${repository.id}:${repository.createdAt}` : undefined;
  }

  async listRefs(): Promise<{ refs: AdvertisedRef[]; headTarget?: string }> {
    const repository = this.repository;
    if (!repository) return { refs: [] };
    const stored = await this.storage.refs.list(repository.id);
    const peeled = await this.peelTags(
      repository.id,
      stored.filter((ref) => ref.name.startsWith('refs/tags/')).map((ref) => ref.target),
    );
    const refs = stored.map((ref) => {
      const target = peeled.get(ref.target);
      return { name: ref.name, target: ref.target, ...(target ? { peeled: target } : {}) };
    });
    return { refs, headTarget: repository.headRef };
  }

  /** Annotated tag → the object it finally names, reading all tags in one batch. */
  private async peelTags(repoId: number, ids: readonly ObjectId[]): Promise<Map<ObjectId, ObjectId>> {
    const peeled = new Map<ObjectId, ObjectId>();
    const known = this.options.peeledTags;
    const unknown: ObjectId[] = [];
    for (const id of ids) {
      const target = known?.get(id);
      if (target === undefined) unknown.push(id);
      else if (target !== NOT_A_TAG) peeled.set(id, target);
    }
    if (unknown.length === 0) return peeled;
    // Only the start of each tag is read (a tag's message may be a deflate bomb).
    const tags = await this.storage.objects.tagTargets(repoId, unknown);
    for (const id of unknown) {
      const tag = tags.get(id);
      // Not held (a lost object): asked again next time, as it may come back.
      if (tag === undefined) continue;
      if (tag === null) {
        known?.set(id, NOT_A_TAG);
        continue;
      }
      // The tag says its target's type; a tag of a tag is rare and followed one read at a time.
      const inner =
        tag.type === 'tag' ? (await this.storage.objects.peel(repoId, tag.object))?.id : tag.object;
      peeled.set(id, inner ?? tag.object);
      // A tag whose inner tag was not found is peeled again next time.
      if (inner !== undefined) known?.set(id, inner);
    }
    return peeled;
  }

  async receivePack(pack: IncomingPack, limits: ReceiveLimits): Promise<ReceivedPack> {
    const repository = await this.target();
    this.pushGraph = undefined;
    try {
      // Without refs, git sends everything the pushed refs reach: the pack is the repository
      // as its clones will see it, and its graph spares the walk recorder reading it back.
      const collectGraph = this.pending || (await this.storage.refs.list(repository.id)).length === 0;
      const result = await this.storage.ingestPack(repository.id, pack.chunks, {
        limits,
        collectReferences: true,
        stopAtTrailer: pack.endsAt === 'trailer',
        collectGraph,
      });
      if (pack.endsAt === 'trailer' && (pack.unreadBytes?.() ?? 0) > 0)
        throw invalid('pack_trailing_garbage', 'bytes follow the pack trailer');
      this.pushGraph = result.graph;
      if (result.graph && result.writtenRowKeys) this.rowKeysOfGraph.set(result.graph, result.writtenRowKeys);
      return {
        ids: result.ids,
        ...(result.externalReferences ? { externalReferences: result.externalReferences } : {}),
      };
    } catch (error) {
      await this.abandonPending();
      throw error;
    }
  }

  async updateRefs(
    updates: readonly RefUpdateRequest[],
    options: RefUpdateOptions,
  ): Promise<RefUpdateResults> {
    if (updates.length === 0) {
      // Every update of a first push was refused: nothing of the repository remains.
      await this.abandonPending();
      return new Map();
    }
    const repository = await this.target();
    if (this.pending) return this.create(repository, updates, options);
    const results = await applyRefUpdates(this.storage, repository.id, updates, options.atomic);
    this.repository = await adoptHead(this.storage, repository, succeeded(updates, results));
    return results;
  }

  /**
   * The repository a push writes into: the stored one, or for a first push a pending one (no
   * path yet, see `RepositoryStore.createPending`) that `create` turns into the real one.
   */
  private async target(): Promise<Repository> {
    if (this.repository) return this.repository;
    const kind = this.options.kindOf?.(this.path) ?? 'hosted';
    this.repository = await this.storage.repositories.createPending({ kind });
    this.pending = true;
    return this.repository;
  }

  /**
   * A first push lands whole or not at all: the path is claimed, the refs written, HEAD set and
   * `onCreate` run in one transaction. When no update succeeds or anything fails, the pending
   * repository (with the objects it received) is deleted and the path stays free.
   */
  private async create(
    pending: Repository,
    updates: readonly RefUpdateRequest[],
    options: RefUpdateOptions,
  ): Promise<RefUpdateResults> {
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.storage.transaction(async (scope) => {
          const claimed = await scope.repositories.claim(pending.id, this.path);
          const results = await applyRefUpdates(scope, claimed.id, updates, options.atomic);
          const landed = succeeded(updates, results);
          if (landed.length === 0) throw new NothingCreated(results);
          const repository = await adoptHead(scope, claimed, landed);
          await options.onCreate?.(scope, repository);
          return { repository, results };
        });
        this.repository = created.repository;
        this.pending = false;
        return created.results;
      } catch (error) {
        if (error instanceof NothingCreated) {
          await this.abandonPending();
          return error.results;
        }
        const retry = isMegaError(error, 'conflict') && !isMegaError(error, 'conflict', 'repository_exists');
        if (retry && attempt < CREATE_ATTEMPTS) continue;
        await this.abandonPending();
        if (!isMegaError(error)) throw error;
        return new Map(updates.map((update) => [update.refName, refFailureReason(error)]));
      }
    }
  }

  /** Deletes the pending repository of a first push that did not land (no-op otherwise). */
  private async abandonPending(): Promise<void> {
    this.pushGraph = undefined;
    const repository = this.repository;
    if (!this.pending || !repository) return;
    this.repository = undefined;
    this.pending = false;
    await this.storage.repositories.delete(repository.id);
  }
}

/** Attempts at creating a repository when a concurrent change (the directory moved) interferes. */
const CREATE_ATTEMPTS = 5;

/** Thrown inside the creation transaction to roll it back when no ref update succeeded. */
class NothingCreated extends Error {
  constructor(readonly results: RefUpdateResults) {
    super('no ref update succeeded');
  }
}

/**
 * A stored repository takes every update as pushed. Who may delete, rewind or move which ref
 * (protected branches included) is decided per caller by the access area's push guard
 * (`src/access/push-guard.ts`), which the web layer puts in front of every push.
 */
const ACCEPT_EVERY_UPDATE: PushPolicy = { decide: async () => ({ action: 'accept' }) };

/** Objects of one stored repository, through its membership. */
class StoredObjects implements ObjectSource {
  constructor(
    private readonly storage: Storage,
    private readonly repoId: () => number | undefined,
  ) {}

  async hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    const repoId = this.repoId();
    return repoId === undefined ? new Set() : this.storage.objects.has(repoId, ids);
  }

  async readObject(id: ObjectId) {
    const repoId = this.repoId();
    if (repoId === undefined) return undefined;
    const object = await this.storage.objects.read(repoId, id);
    return object ? { type: object.type, content: object.data } : undefined;
  }

  async openObject(id: ObjectId) {
    const repoId = this.repoId();
    if (repoId === undefined) return undefined;
    const opened = await this.storage.objects.openContent(repoId, id);
    return opened ? { type: opened.type, size: opened.size, content: opened.stream } : undefined;
  }

  async *readObjects(ids: readonly ObjectId[]) {
    const repoId = this.repoId();
    if (repoId === undefined) return;
    for await (const object of this.storage.objects.readMany(repoId, ids)) {
      yield { id: object.id, type: object.type, content: object.data };
    }
  }

  async readCommit(id: ObjectId) {
    const repoId = this.repoId();
    if (repoId === undefined) return undefined;
    return (await this.storage.objects.readCommits(repoId, [id])).get(id);
  }

  async readCommits(ids: readonly ObjectId[]) {
    const repoId = this.repoId();
    return repoId === undefined ? new Map() : this.storage.objects.readCommits(repoId, ids);
  }

  async readDeltaBases() {
    const repoId = this.repoId();
    return repoId === undefined ? new Map<ObjectId, ObjectId>() : this.storage.objects.deltaBases(repoId);
  }

  async readObjectHeader(id: ObjectId) {
    const repoId = this.repoId();
    return repoId === undefined ? undefined : this.storage.objects.readHeader(repoId, id);
  }

  async sizesAtLeast(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
    limit: number,
  ): Promise<ReadonlySet<ObjectId>> {
    const repoId = this.repoId();
    if (repoId === undefined) return new Set();
    const ids = objects.map((object) => object.id);
    const hints = objects.map((object) => object.hint);
    return this.storage.objects.sizesAtLeast(repoId, ids, hints, limit);
  }

  async loadCloneSnapshot(): Promise<CloneSnapshot> {
    const repoId = this.repoId();
    if (repoId === undefined) return emptySnapshot(true);
    const scan = this.storage.scan;
    return snapshotOf(await scan.commits(repoId), await scan.trees(repoId), true);
  }

  async loadTreeSnapshot(ids: readonly ObjectId[]): Promise<CloneSnapshot> {
    const repoId = this.repoId();
    if (repoId === undefined) return emptySnapshot(true);
    const scan = this.storage.scan;
    return snapshotOf(new Map(), await scan.trees(repoId, ids), false);
  }
  async readPackReady(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
  ): Promise<ReadonlyArray<PackReadyObject | undefined>> {
    const repoId = this.repoId();
    if (repoId === undefined) return objects.map(() => undefined);
    const ids = objects.map((object) => object.id);
    const hints = objects.some((object) => object.hint !== undefined)
      ? objects.map((object) => object.hint)
      : undefined;
    return this.storage.objects.packReady(repoId, ids, hints);
  }
}

function snapshotOf(
  commits: ReadonlyMap<ObjectId, CommitSummary>,
  trees: StoredTrees,
  allCommits: boolean,
): CloneSnapshot {
  return {
    allCommits,
    commits,
    treeContent: (id) => trees.content(id),
    releaseTreeContents: () => trees.releaseContents(),
    treePackReady: (id) => trees.packReady(id),
  };
}
