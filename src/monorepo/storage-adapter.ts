import type { ObjectId } from '../git/object-id.js';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { OpenedObject } from '../repo/served-repository.js';
import { BatchedReads } from '../repo/batched-reads.js';
import { SingleReadObjectSource } from '../repo/single-read-objects.js';
import type { ObjectHolders } from '../storage/monorepo/object-holders.js';
import type { Storage, StorageScope } from '../storage/storage.js';
import type { MonorepoDeps } from './ports.js';
import { RepositoryAdmin } from './repository-admin.js';

/**
 * Reads any stored object by finding a repository that holds it. Directory views combine the
 * trees of many repositories; the objects they serve are then linked into the directory
 * repository, so clients read them through its membership like any other repository's. Merges
 * and mergeability read here too: single reads asked for in the same turn (a tree merge's whole
 * directory level) are answered together, one holder lookup and one batched read per repository,
 * not a few queries per object.
 */
export class AnyRepositoryObjects extends SingleReadObjectSource {
  private readonly batched = new BatchedReads(this);

  constructor(
    private readonly storage: StorageScope,
    private readonly holders: ObjectHolders,
  ) {
    super();
  }

  async hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    return new Set((await this.holders.holders(ids)).keys());
  }

  readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined> {
    return this.batched.read(id);
  }

  override async *readObjects(
    ids: readonly ObjectId[],
  ): AsyncGenerator<{ id: ObjectId; type: ObjectType; content: Buffer }> {
    for (const [repoId, held] of await this.byHolder(ids)) {
      for await (const object of this.storage.objects.readMany(repoId, held)) {
        yield { id: object.id, type: object.type, content: object.data };
      }
    }
  }

  /** Streams big stored objects (the single-read default would inflate them whole). */
  override async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    const repoId = (await this.holders.holders([id])).get(id);
    if (repoId === undefined) return undefined;
    const opened = await this.storage.objects.openContent(repoId, id);
    return opened ? { type: opened.type, size: opened.size, content: opened.stream } : undefined;
  }

  async readCommit(id: ObjectId): Promise<CommitSummary | undefined> {
    return (await this.readCommits([id])).get(id);
  }

  override async readCommits(ids: readonly ObjectId[]): Promise<ReadonlyMap<ObjectId, CommitSummary>> {
    const found = new Map<ObjectId, CommitSummary>();
    for (const [repoId, held] of await this.byHolder(ids)) {
      for (const [id, commit] of await this.storage.objects.readCommits(repoId, held)) found.set(id, commit);
    }
    return found;
  }

  /** The ids grouped by one repository holding each (ids nobody holds are left out). */
  private async byHolder(ids: readonly ObjectId[]): Promise<Map<number, ObjectId[]>> {
    const groups = new Map<number, ObjectId[]>();
    for (const [id, repoId] of await this.holders.holders(ids)) {
      const group = groups.get(repoId);
      if (group) group.push(id);
      else groups.set(repoId, [id]);
    }
    return groups;
  }
}

/** The monorepo's dependencies over opened storage. */
export function monorepoDeps(storage: StorageScope, options: { readonly cloneLimit: number }): MonorepoDeps {
  const { holders, mergeRequests } = storage.monorepo;
  return {
    repositories: storage.repositories,
    refs: storage.refs,
    objects: {
      source: new AnyRepositoryObjects(storage, holders),
      async write(repoId, objects) {
        if (objects.length === 0) return;
        await storage.writeObjects(
          repoId,
          objects.map((object) => ({ type: object.type, data: object.content })),
        );
      },
      link: (repoId, ids) => holders.link(repoId, ids),
      linkRepository: (target, source) => holders.linkRepository(target, source),
      repositorySize: (repoId) => holders.repositorySize(repoId),
    },
    directoryStore: storage.monorepo.directory,
    views: storage.monorepo.views,
    mergedPushes: (viewPath, limit) => mergeRequests.mergedPushes(viewPath, limit),
    cloneLimit: options.cloneLimit,
  };
}

/** The administrator's repository operations over opened storage (one transaction per change). */
export function createRepositoryAdmin(
  storage: Storage,
  options: { readonly cloneLimit: number },
): RepositoryAdmin {
  return new RepositoryAdmin({
    monorepo: monorepoDeps(storage, options),
    transaction: (work) => storage.transaction((scope) => work(monorepoDeps(scope, options), scope.access)),
  });
}
