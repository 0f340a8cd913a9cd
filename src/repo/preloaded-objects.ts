import type { ObjectId } from '../git/object-id.js';
import type {
  CloneSnapshot,
  CommitSummary,
  GitObjectType,
  ObjectSource,
  OpenedObject,
  PackReadyObject,
} from './served-repository.js';

/**
 * An object source answering commits and trees from a clone snapshot held in memory and
 * everything else (blobs, tags, whatever the snapshot lacks) from the underlying source.
 */
export class PreloadedObjects implements ObjectSource {
  /**
   * The underlying source's reads in pieces, present exactly when it has them: readers test for
   * it, and without it peel a tag by reading it whole (a tag whose message is a deflate bomb then
   * costs its size in every walk over the snapshot).
   */
  readonly openObject?: (id: ObjectId) => Promise<OpenedObject | undefined>;

  constructor(
    private readonly base: ObjectSource,
    private readonly snapshot: CloneSnapshot,
  ) {
    if (base.openObject) this.openObject = base.openObject.bind(base);
  }

  hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    return this.base.hasObjects(ids);
  }

  async readObject(id: ObjectId): Promise<{ type: GitObjectType; content: Buffer } | undefined> {
    const content = this.snapshot.treeContent(id);
    return content ? { type: 'tree', content } : this.base.readObject(id);
  }

  async readCommit(id: ObjectId): Promise<CommitSummary | undefined> {
    const commit = this.snapshot.commits.get(id);
    if (commit || this.snapshot.allCommits) return commit;
    return this.base.readCommit(id);
  }

  async readCommits(ids: readonly ObjectId[]): Promise<ReadonlyMap<ObjectId, CommitSummary>> {
    const found = new Map<ObjectId, CommitSummary>();
    const rest: ObjectId[] = [];
    for (const id of ids) {
      const commit = this.snapshot.commits.get(id);
      if (commit) found.set(id, commit);
      else rest.push(id);
    }
    if (rest.length === 0 || this.snapshot.allCommits) return found;
    if (this.base.readCommits) {
      for (const [id, commit] of await this.base.readCommits(rest)) found.set(id, commit);
    } else {
      for (const id of rest) {
        const commit = await this.base.readCommit(id);
        if (commit) found.set(id, commit);
      }
    }
    return found;
  }

  async *readObjects(
    ids: readonly ObjectId[],
  ): AsyncGenerator<{ id: ObjectId; type: GitObjectType; content: Buffer }> {
    const rest: ObjectId[] = [];
    for (const id of ids) {
      const content = this.snapshot.treeContent(id);
      if (content) yield { id, type: 'tree', content };
      else rest.push(id);
    }
    if (rest.length === 0) return;
    if (this.base.readObjects) {
      yield* this.base.readObjects(rest);
      return;
    }
    for (const id of rest) {
      const object = await this.base.readObject(id);
      if (object) yield { id, ...object };
    }
  }

  async readPackReady(id: ObjectId): Promise<PackReadyObject | undefined> {
    return (await this.readPackReadyMany([id])).get(id);
  }

  async readPackReadyMany(ids: readonly ObjectId[]): Promise<ReadonlyMap<ObjectId, PackReadyObject>> {
    const found = new Map<ObjectId, PackReadyObject>();
    const rest: ObjectId[] = [];
    for (const id of ids) {
      const stored = this.snapshot.treePackReady(id);
      if (stored) found.set(id, stored);
      else rest.push(id);
    }
    if (rest.length === 0) return found;
    if (this.base.readPackReadyMany) {
      for (const [id, stored] of await this.base.readPackReadyMany(rest)) found.set(id, stored);
    } else if (this.base.readPackReady) {
      for (const id of rest) {
        const stored = await this.base.readPackReady(id);
        if (stored) found.set(id, stored);
      }
    }
    return found;
  }

  readObjectHeader(id: ObjectId): Promise<{ type: GitObjectType; size: number } | undefined> {
    if (this.base.readObjectHeader) return this.base.readObjectHeader(id);
    return this.readObject(id).then((object) =>
      object ? { type: object.type, size: object.content.length } : undefined,
    );
  }
}
