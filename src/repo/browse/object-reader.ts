import { parseCommit, type Commit } from '../../git/commit.js';
import { isObjectId, type ObjectId } from '../../git/object-id.js';
import { parseTag } from '../../git/tag.js';
import { parseTree, type TreeEntry } from '../../git/tree.js';
import { notFound } from '../../platform/errors.js';
import type { GitObjectType, ObjectSource } from '../served-repository.js';

/** Annotated tags nest rarely; a chain longer than this is hostile. */
const MAX_TAG_DEPTH = 16;

/**
 * Typed reads over a repository's `ObjectSource` for one browsing request. Parsed commits and
 * trees are memoised: a log walk or a tree diff asks for the same objects more than once.
 */
export class ObjectReader {
  private readonly commits = new Map<ObjectId, Commit>();
  private readonly trees = new Map<ObjectId, readonly TreeEntry[]>();

  constructor(private readonly source: ObjectSource) {}

  async read(id: ObjectId): Promise<{ type: GitObjectType; content: Buffer }> {
    const object = await this.source.readObject(id);
    if (!object) throw notFound('object_not_found', 'object not found', { id });
    return object;
  }

  async readTyped(id: ObjectId, type: GitObjectType): Promise<Buffer> {
    const object = await this.read(id);
    if (object.type !== type) {
      throw notFound('object_wrong_type', `object is a ${object.type}, not a ${type}`, { id });
    }
    return object.content;
  }

  async commit(id: ObjectId): Promise<Commit> {
    let commit = this.commits.get(id);
    if (!commit) {
      commit = parseCommit(await this.readTyped(id, 'commit'));
      this.commits.set(id, commit);
    }
    return commit;
  }

  async tree(id: ObjectId): Promise<readonly TreeEntry[]> {
    let entries = this.trees.get(id);
    if (!entries) {
      entries = parseTree(await this.readTyped(id, 'tree'));
      this.trees.set(id, entries);
    }
    return entries;
  }

  /** Follows annotated tags to the object they finally name. */
  async peel(id: ObjectId): Promise<{ id: ObjectId; type: GitObjectType }> {
    let current = id;
    for (let depth = 0; depth < MAX_TAG_DEPTH; depth++) {
      const object = await this.read(current);
      if (object.type !== 'tag') return { id: current, type: object.type };
      const target = parseTag(object.content).object;
      if (!isObjectId(target)) throw notFound('object_not_found', 'tag points to a malformed id', { id });
      current = target;
    }
    throw notFound('object_not_found', 'tag chain too long', { id });
  }

  /** Existence check through the source's bulk `hasObjects`. */
  async has(id: ObjectId): Promise<boolean> {
    return (await this.source.hasObjects([id])).has(id);
  }
}
