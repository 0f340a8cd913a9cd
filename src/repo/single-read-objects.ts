import type { CommitSummary } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { PackReadyObject, StoredObjectHint } from '../storage/pack-ready.js';
import type { CloneSnapshot, ObjectSource, OpenedObject } from './served-repository.js';

/**
 * The one adapter for sources that read one object at a time (synthetic directory views, objects
 * held in memory): a subclass implements the three single reads, and gets the rest of
 * `ObjectSource` from them. It overrides what it does better (e.g. `openObject` streaming big
 * objects). Such a source has no stored forms, so packs send its objects whole, and no bulk
 * snapshot, so walks read through the single reads.
 */
export abstract class SingleReadObjectSource implements ObjectSource {
  abstract hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>>;
  abstract readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined>;
  abstract readCommit(id: ObjectId): Promise<CommitSummary | undefined>;

  async *readObjects(
    ids: readonly ObjectId[],
  ): AsyncGenerator<{ id: ObjectId; type: ObjectType; content: Buffer }> {
    for (const id of ids) {
      const object = await this.readObject(id);
      if (object) yield { id, type: object.type, content: object.content };
    }
  }

  async readCommits(ids: readonly ObjectId[]): Promise<ReadonlyMap<ObjectId, CommitSummary>> {
    const found = new Map<ObjectId, CommitSummary>();
    for (const id of ids) {
      const commit = await this.readCommit(id);
      if (commit) found.set(id, commit);
    }
    return found;
  }

  /** The whole content as one piece (a source holding big objects overrides this to stream). */
  async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    const object = await this.readObject(id);
    if (!object) return undefined;
    return { type: object.type, size: object.content.length, content: onePiece(object.content) };
  }

  async readObjectHeader(id: ObjectId): Promise<{ type: ObjectType; size: number } | undefined> {
    const object = await this.readObject(id);
    return object ? { type: object.type, size: object.content.length } : undefined;
  }

  async sizesAtLeast(
    objects: ReadonlyArray<{ readonly id: ObjectId }>,
    limit: number,
  ): Promise<ReadonlySet<ObjectId>> {
    const found = new Set<ObjectId>();
    for (const { id } of objects) if (((await this.readObjectHeader(id))?.size ?? -1) >= limit) found.add(id);
    return found;
  }

  /** None: every object is sent whole (deflated as the pack is written). */
  async readPackReady(
    objects: ReadonlyArray<{ readonly id: ObjectId; readonly hint?: StoredObjectHint }>,
  ): Promise<ReadonlyArray<PackReadyObject | undefined>> {
    return objects.map(() => undefined);
  }

  async readDeltaBases(): Promise<ReadonlyMap<ObjectId, ObjectId>> {
    return new Map();
  }

  async loadCloneSnapshot(): Promise<CloneSnapshot> {
    return emptySnapshot(false);
  }

  async loadTreeSnapshot(_ids: readonly ObjectId[]): Promise<CloneSnapshot> {
    return emptySnapshot(false);
  }
}

/** The three single reads, for `completeObjectSource`. */
export type SingleObjectReads = Pick<ObjectSource, 'hasObjects' | 'readObject' | 'readCommit'>;

/** A complete source from single reads given as functions (in-memory sources, tests). */
export function completeObjectSource(reads: SingleObjectReads): ObjectSource {
  return new (class extends SingleReadObjectSource {
    hasObjects(ids: readonly ObjectId[]) {
      return reads.hasObjects(ids);
    }
    readObject(id: ObjectId) {
      return reads.readObject(id);
    }
    readCommit(id: ObjectId) {
      return reads.readCommit(id);
    }
  })();
}

/**
 * A snapshot holding nothing: every read goes to the source. `allCommits` says whether that is
 * because the repository has no commits (an empty stored repository) or because the source
 * keeps none in bulk.
 */
export function emptySnapshot(allCommits: boolean): CloneSnapshot {
  return {
    allCommits,
    commits: new Map(),
    treeContent: () => undefined,
    treePackReady: () => undefined,
    releaseTreeContents: () => undefined,
  };
}

async function* onePiece(content: Buffer): AsyncGenerator<Buffer> {
  yield content;
}
