import { hashObject } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { CommitSummary, GitObjectType, ObjectSource, OpenedObject } from '../repo/served-repository.js';
import { parseCommit } from '../git/commit.js';
import { parseIdent } from '../git/ident.js';

export interface NewObject {
  readonly id: ObjectId;
  readonly type: GitObjectType;
  readonly content: Buffer;
}

/**
 * Objects computed in memory (expanded trees, synthetic and merge commits) layered over a stored
 * source: reads see both, `take()` hands the new ones to storage in one batch. Computing a view
 * never writes anything until the result is known to be needed.
 */
export class PendingObjects implements ObjectSource {
  private readonly pending = new Map<ObjectId, NewObject>();

  constructor(private readonly base: ObjectSource) {}

  put(type: GitObjectType, content: Buffer): ObjectId {
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

  async readObject(id: ObjectId): Promise<{ type: GitObjectType; content: Buffer } | undefined> {
    const own = this.pending.get(id);
    return own ? { type: own.type, content: own.content } : this.base.readObject(id);
  }

  async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    if (!this.pending.has(id) && this.base.openObject) return this.base.openObject(id);
    const object = await this.readObject(id);
    return object
      ? { type: object.type, size: object.content.length, content: pieces(object.content) }
      : undefined;
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

async function* pieces(content: Buffer): AsyncGenerator<Buffer> {
  yield content;
}
