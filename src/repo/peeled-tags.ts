import type { ObjectId } from '../git/object-id.js';

/** How many refs' targets one process keeps peeled. */
export const PEELED_TAGS_LIMIT = 8192;

/** A ref target that is no annotated tag (a commit, or a tag whose head names no object). */
export const NOT_A_TAG = null;

/**
 * What each tag ref's target finally names, by the target's id: an object's content (its type
 * too) is named by its hash, so the answer never changes. Only ids a repository's refs point at
 * are asked for, so each exists wherever it is asked. Every `ls-refs` and `fetch` peeled its
 * repository's tags again: one query for their rows and one inflate per annotated tag (a clone of
 * express: 304 tag refs, 50 of them annotated, twice). Bounded: past the limit the oldest goes.
 */
export class PeeledTags {
  private readonly targets = new Map<ObjectId, ObjectId | typeof NOT_A_TAG>();

  constructor(private readonly limit = PEELED_TAGS_LIMIT) {}

  /** The peeled object, `NOT_A_TAG`, or undefined when not known yet. */
  get(id: ObjectId): ObjectId | typeof NOT_A_TAG | undefined {
    return this.targets.get(id);
  }

  set(id: ObjectId, target: ObjectId | typeof NOT_A_TAG): void {
    if (this.targets.has(id)) return;
    if (this.targets.size >= this.limit) this.targets.delete(this.targets.keys().next().value as ObjectId);
    this.targets.set(id, target);
  }
}
