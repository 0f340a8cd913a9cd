import { parseCommit } from '../git/commit.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { parseTag } from '../git/tag.js';
import { forEachTreeChild } from '../git/tree-children.js';

/**
 * Collects, while a pack is decoded, every id its commits, trees and tags point to (a commit's
 * tree and parents, a tree's subtrees and blobs, a tag's target; gitlinks are other repositories'
 * commits and never required). What is left after removing the pack's own objects is what the
 * repository must already hold for the push to be connected: receive-pack then checks those ids
 * with one batched lookup instead of re-reading every pushed tree after the ingest.
 */
export class PackReferences {
  private readonly referenced = new Set<ObjectId>();

  constructor(private readonly format: ObjectFormat) {}

  add(type: ObjectType, data: Buffer): void {
    switch (type) {
      case 'commit': {
        const commit = parseCommit(data);
        this.referenced.add(commit.tree);
        for (const parent of commit.parents) this.referenced.add(parent);
        return;
      }
      case 'tree':
        forEachTreeChild(data, (id) => this.referenced.add(id), this.format);
        return;
      case 'tag':
        this.referenced.add(parseTag(data).object);
        return;
      case 'blob':
        return;
    }
  }

  /** The referenced ids that are not among `packed`. */
  outside(packed: Iterable<ObjectId>): ObjectId[] {
    for (const id of packed) this.referenced.delete(id);
    return [...this.referenced];
  }
}
