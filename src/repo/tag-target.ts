import type { ObjectId } from '../git/object-id.js';
import { TAG_HEAD_BYTES, tagHeadTarget } from '../git/tag.js';
import { readPrefix } from './browse/bounded-read.js';
import type { ObjectSource } from './served-repository.js';

/** Tag chains (a tag of a tag …) are followed this deep by every walk and bitmap of a want. */
export const MAX_TAG_HOPS = 16;

/**
 * The object an annotated tag names, or undefined when `id` is absent or not a tag. Only the
 * tag's first bytes are read: a stored tag whose message is a deflate bomb costs a few
 * kilobytes, not its size.
 */
export async function readTagTarget(objects: ObjectSource, id: ObjectId): Promise<ObjectId | undefined> {
  const opened = await objects.openObject(id);
  if (!opened) return undefined;
  const head = await readPrefix(
    opened.content,
    opened.type === 'tag' ? Math.min(opened.size, TAG_HEAD_BYTES) : 0,
  );
  if (opened.type !== 'tag') return undefined;
  return tagHeadTarget(head)?.object;
}
