import type { CommitSummary } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { PackReadyObject, StoredObjectHint } from '../storage/pack-ready.js';
import type { CloneSnapshot, ObjectSource, OpenedObject } from './served-repository.js';

/**
 * An object source answering commits and trees from a clone snapshot held in memory and
 * everything else (blobs, tags, whatever the snapshot lacks) from the underlying source.
 */
export class PreloadedObjects implements ObjectSource {
  constructor(
    private readonly base: ObjectSource,
    private readonly snapshot: CloneSnapshot,
  ) {}

  hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    return this.base.hasObjects(ids);
  }

  async readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined> {
    const content = this.snapshot.treeContent(id);
    return content ? { type: 'tree', content } : this.base.readObject(id);
  }

  /** Opened by the base: a tag whose message is a deflate bomb is never inflated whole. */
  openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    return this.base.openObject(id);
  }

  readObjectHeader(id: ObjectId): Promise<{ type: ObjectType; size: number } | undefined> {
    return this.base.readObjectHeader(id);
  }

  sizesAtLeast(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
    limit: number,
  ): Promise<ReadonlySet<ObjectId>> {
    return this.base.sizesAtLeast(objects, limit);
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
    for (const [id, commit] of await this.base.readCommits(rest)) found.set(id, commit);
    return found;
  }

  async *readObjects(
    ids: readonly ObjectId[],
  ): AsyncGenerator<{ id: ObjectId; type: ObjectType; content: Buffer }> {
    const rest: ObjectId[] = [];
    for (const id of ids) {
      const content = this.snapshot.treeContent(id);
      if (content) yield { id, type: 'tree', content };
      else rest.push(id);
    }
    if (rest.length > 0) yield* this.base.readObjects(rest);
  }

  async readPackReady(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
  ): Promise<ReadonlyArray<PackReadyObject | undefined>> {
    const found = objects.map((object) => this.snapshot.treePackReady(object.id));
    const rest = objects.filter((_, index) => found[index] === undefined);
    if (rest.length === 0) return found;
    const read = await this.base.readPackReady(rest);
    let next = 0;
    return found.map((stored) => stored ?? read[next++]);
  }

  readDeltaBases(): Promise<ReadonlyMap<ObjectId, ObjectId>> {
    return this.base.readDeltaBases();
  }

  loadCloneSnapshot(): Promise<CloneSnapshot> {
    return this.base.loadCloneSnapshot();
  }

  loadTreeSnapshot(ids: readonly ObjectId[]): Promise<CloneSnapshot> {
    return this.base.loadTreeSnapshot(ids);
  }
}
