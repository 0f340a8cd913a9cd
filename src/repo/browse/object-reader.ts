import { parseCommit, type Commit } from '../../git/commit.js';
import { isObjectId, type ObjectId } from '../../git/object-id.js';
import { parseTag } from '../../git/tag.js';
import { parseTree, type TreeEntry } from '../../git/tree.js';
import { notFound, tooLarge } from '../../platform/errors.js';
import type { ObjectType } from '../../git/object.js';
import type { ObjectSource, OpenedObject } from '../served-repository.js';
import { readPrefix, type BoundedContent } from './bounded-read.js';

/** Annotated tags nest rarely; a chain longer than this is hostile. */
const MAX_TAG_DEPTH = 16;
/** A commit's headers end at its first blank line (git's commit format). */
const END_OF_HEADERS = Buffer.from('\n\n');

export interface ObjectReaderOptions {
  /**
   * Most bytes of one object read (`limits.maxDisplayBytes`): bigger ones are cut or refused.
   * Unset, objects are read whole (the monorepo's own tree and merge computations); reads given
   * an explicit limit (`readBounded`) are bounded either way.
   */
  readonly displayLimit?: number;
}

/**
 * Typed reads over a repository's `ObjectSource` for one browsing request. With a display limit
 * no read inflates more than it: blobs come back as a prefix flagged `truncated` (raw downloads
 * stream through `open`), a bigger commit keeps its headers and a cut message, and bigger trees
 * and tags are refused (`object_too_large`) since half of one would show wrong content. Parsed
 * commits and trees are memoised: a log walk or a tree diff asks for the same objects more than once.
 */
export class ObjectReader {
  private readonly commits = new Map<ObjectId, Commit>();
  private readonly trees = new Map<ObjectId, readonly TreeEntry[]>();
  /** Commits whose message was cut at the display limit, with their real size. */
  private readonly cutCommits = new Map<ObjectId, number>();
  readonly displayLimit: number | undefined;

  constructor(
    private readonly source: ObjectSource,
    options: ObjectReaderOptions = {},
  ) {
    this.displayLimit = options.displayLimit;
  }

  /** The object opened for reading in pieces. */
  async open(id: ObjectId): Promise<OpenedObject> {
    const opened = await this.source.openObject(id);
    if (!opened) throw notFound('object_not_found', 'object not found', { id });
    return opened;
  }

  /** The object opened and checked to be of `type` (before any content is read). */
  async openTyped(id: ObjectId, type: ObjectType): Promise<OpenedObject> {
    const opened = await this.open(id);
    if (opened.type !== type) {
      await closeUnread(opened);
      throw notFound('object_wrong_type', `object is a ${opened.type}, not a ${type}`, { id });
    }
    return opened;
  }

  /**
   * At most `limit` bytes (the display limit by default) of an object of `type`; the whole
   * object when neither is set.
   */
  async readBounded(id: ObjectId, type: ObjectType, limit = this.displayLimit): Promise<BoundedContent> {
    if (limit === undefined) {
      const content = await this.readWhole(id, type);
      return { content, size: content.length, truncated: false };
    }
    const opened = await this.openTyped(id, type);
    const bound = Math.min(limit, opened.size);
    const content = await readPrefix(opened.content, bound);
    return { content, size: opened.size, truncated: opened.size > bound };
  }

  /** A whole object of `type`, refused with `object_too_large` past the display limit. */
  async readTyped(id: ObjectId, type: ObjectType): Promise<Buffer> {
    const read = await this.readBounded(id, type);
    if (read.truncated) throw this.tooLargeToShow(id, type, read.size);
    return read.content;
  }

  /** The object read whole through `readObject` (no display limit: the source's own fast path). */
  private async readWhole(id: ObjectId, type: ObjectType): Promise<Buffer> {
    const object = await this.source.readObject(id);
    if (!object) throw notFound('object_not_found', 'object not found', { id });
    if (object.type !== type) {
      throw notFound('object_wrong_type', `object is a ${object.type}, not a ${type}`, { id });
    }
    return object.content;
  }

  async commit(id: ObjectId): Promise<Commit> {
    let commit = this.commits.get(id);
    if (!commit) {
      const read = await this.readBounded(id, 'commit');
      // A commit over the limit is shown with its headers and the start of its message.
      if (read.truncated && !read.content.includes(END_OF_HEADERS)) {
        throw this.tooLargeToShow(id, 'commit', read.size);
      }
      commit = parseCommit(read.content);
      if (read.truncated) this.cutCommits.set(id, read.size);
      this.commits.set(id, commit);
    }
    return commit;
  }

  /** The real size of a commit whose message `commit()` cut, or undefined when it is whole. */
  cutCommitSize(id: ObjectId): number | undefined {
    return this.cutCommits.get(id);
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
  async peel(id: ObjectId): Promise<{ id: ObjectId; type: ObjectType }> {
    let current = id;
    for (let depth = 0; depth < MAX_TAG_DEPTH; depth++) {
      const opened = await this.open(current);
      if (opened.type !== 'tag') {
        await closeUnread(opened);
        return { id: current, type: opened.type };
      }
      if (this.displayLimit !== undefined && opened.size > this.displayLimit) {
        await closeUnread(opened);
        throw this.tooLargeToShow(current, 'tag', opened.size);
      }
      const target = parseTag(await readPrefix(opened.content, opened.size)).object;
      if (!isObjectId(target)) throw notFound('object_not_found', 'tag points to a malformed id', { id });
      current = target;
    }
    throw notFound('object_not_found', 'tag chain too long', { id });
  }

  /** An object's inflated size without reading its content (tree listings show file sizes). */
  async size(id: ObjectId): Promise<number | undefined> {
    return (await this.source.readObjectHeader(id))?.size;
  }

  /** Existence check through the source's bulk `hasObjects`. */
  async has(id: ObjectId): Promise<boolean> {
    return (await this.source.hasObjects([id])).has(id);
  }

  private tooLargeToShow(id: ObjectId, type: ObjectType, size: number) {
    return tooLarge('object_too_large', `${type} ${id} is too large to show (${size} bytes)`, {
      id,
      size,
      limit: this.displayLimit ?? size,
    });
  }
}

/** Ends an opened object's stream without reading it (stops a file read and its inflater). */
async function closeUnread(opened: OpenedObject): Promise<void> {
  await opened.content[Symbol.asyncIterator]().return?.();
}
