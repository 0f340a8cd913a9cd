import type { ObjectId } from '../git/object-id.js';
import type { LocatedPath } from './locate-path.js';

/** How many paths are kept for one directory tree (each URL a client names may be another). */
export const LOCATED_PATHS_LIMIT = 256;

/**
 * `locatePath`'s answers for the directory tree of the current head. An answer is a function of
 * that tree and of the trees and b-link blobs under it, all named by their hashes, so it holds as
 * long as the head's tree id does; another tree drops them all. Every git request located its
 * path again: on PostgreSQL three object reads of four queries each, 36 of a clone's 70 queries.
 * A thrown answer (a file that is not a b-link) is not kept. Bounded: past the limit the oldest
 * path goes.
 */
export class LocatedPaths {
  private tree: ObjectId | undefined;
  private readonly answers = new Map<string, LocatedPath>();

  constructor(private readonly limit = LOCATED_PATHS_LIMIT) {}

  async locate(tree: ObjectId, path: string, compute: () => Promise<LocatedPath>): Promise<LocatedPath> {
    if (tree !== this.tree) {
      this.answers.clear();
      this.tree = tree;
    }
    const known = this.answers.get(path);
    if (known) return known;
    const located = await compute();
    // The head may have moved while this one was computed: its answer is not kept for the new tree.
    if (tree === this.tree) {
      if (this.answers.size >= this.limit) this.answers.delete(this.answers.keys().next().value as string);
      this.answers.set(path, located);
    }
    return located;
  }
}
