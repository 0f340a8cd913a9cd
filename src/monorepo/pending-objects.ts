import { hashObject, type ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectSource, OpenedObject } from '../repo/served-repository.js';
import { SingleReadObjectSource } from '../repo/single-read-objects.js';
import { parseCommit, type CommitSummary } from '../git/commit.js';
import { parseIdent } from '../git/ident.js';

export interface NewObject {
  readonly id: ObjectId;
  readonly type: ObjectType;
  readonly content: Buffer;
}

/**
 * Objects computed in memory (expanded trees, synthetic and merge commits) layered over a stored
 * source: reads see both, `take()` hands the new ones to storage in one batch. Computing a view
 * never writes anything until the result is known to be needed.
 */
export class PendingObjects extends SingleReadObjectSource {
  private readonly pending = new Map<ObjectId, NewObject>();

  constructor(private readonly base: ObjectSource) {
    super();
  }

  put(type: ObjectType, content: Buffer): ObjectId {
    const id = hashObject(type, content);
    if (!this.pending.has(id)) this.pending.set(id, { id, type, content });
    return id;
  }

  /** The objects created so far, in creation order (trees before the commits that name them). */
  take(): NewObject[] {
    return [...this.pending.values()];
  }

  async hasObjects(ids: readonly ObjectId[]): Promise<ReadonlySet<ObjectId>> {
    const found = new Set(await this.base.hasObjects(ids.filter((id) => !this.pending.has(id))));
    for (const id of ids) if (this.pending.has(id)) found.add(id);
    return found;
  }

  async readObject(id: ObjectId): Promise<{ type: ObjectType; content: Buffer } | undefined> {
    const own = this.pending.get(id);
    return own ? { type: own.type, content: own.content } : this.base.readObject(id);
  }

  /** New objects from memory, stored ones in the base's batches. */
  override async *readObjects(
    ids: readonly ObjectId[],
  ): AsyncGenerator<{ id: ObjectId; type: ObjectType; content: Buffer }> {
    const stored: ObjectId[] = [];
    for (const id of ids) {
      const own = this.pending.get(id);
      if (own) yield { id, type: own.type, content: own.content };
      else stored.push(id);
    }
    if (stored.length > 0) yield* this.base.readObjects(stored);
  }

  /** Stored objects are opened by the base (which may stream them); new ones are in memory. */
  override async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    return this.pending.has(id) ? super.openObject(id) : this.base.openObject(id);
  }

  async readCommit(id: ObjectId): Promise<CommitSummary | undefined> {
    const own = this.pending.get(id);
    if (!own) return this.base.readCommit(id);
    if (own.type !== 'commit') return undefined;
    const commit = parseCommit(own.content);
    return {
      id,
      tree: commit.tree,
      parents: commit.parents,
      committerTime: parseIdent(commit.committer).timestamp,
    };
  }
}
