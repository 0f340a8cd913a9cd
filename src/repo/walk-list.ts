import { SHA1, objectFormatOfId } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { WalkList, WalkedObject } from './served-repository.js';

/** An annotated tag `{tag object id, peeled target}`, for include-tag. */
export interface TagPeel {
  readonly tag: ObjectId;
  readonly peeled: ObjectId;
}

/** Decoded objects as a `WalkList`: their raw ids decoded from hex when asked. */
export function walkListOf(objects: readonly WalkedObject[]): WalkList {
  const rawLength = ((objects[0] && objectFormatOfId(objects[0].id)) ?? SHA1).rawLength;
  return {
    count: objects.length,
    rawLength,
    rawIds: () => rawIdsOf(objects, rawLength),
    objects: () => objects,
    among: (ids) => {
      const asked = new Set(ids);
      const found = new Set<ObjectId>();
      for (const object of objects) if (asked.has(object.id)) found.add(object.id);
      return found;
    },
  };
}

/**
 * The tags of `tags` that include-tag adds to `list`: those whose target it sends and that it
 * does not send already, each once. One pass over the list against the few ids asked about.
 */
export function includedTags(list: WalkList, tags: readonly TagPeel[]): ObjectId[] {
  if (tags.length === 0) return [];
  const sent = list.among(tags.flatMap(({ tag, peeled }) => [tag, peeled]));
  const added = tags.filter(({ tag, peeled }) => sent.has(peeled) && !sent.has(tag));
  return [...new Set(added.map(({ tag }) => tag))];
}

/** `list` followed by the annotated tags `tags` (include-tag's additions). */
export function withTags(list: WalkList, tags: readonly ObjectId[]): WalkList {
  if (tags.length === 0) return list;
  const tagObjects = tags.map((id): WalkedObject => ({ id, type: 'tag' }));
  let objects: readonly WalkedObject[] | undefined;
  return {
    count: list.count + tags.length,
    rawLength: list.rawLength,
    rawIds: () => {
      const head = list.rawIds();
      const tail = rawIdsOf(tagObjects, list.rawLength);
      return head && tail && Buffer.concat([head, tail]);
    },
    objects: () => (objects ??= [...list.objects(), ...tagObjects]),
    among: (ids) => {
      const found = list.among(ids);
      const asked = new Set(ids);
      for (const tag of tags) if (asked.has(tag)) found.add(tag);
      return found;
    },
  };
}

/**
 * The objects' raw ids one after another, decoded once, natively; undefined when an id is not
 * `rawLength` bytes of hex (a cached pack of that id format cannot hold it).
 */
function rawIdsOf(objects: readonly WalkedObject[], rawLength: number): Buffer | undefined {
  const raw = Buffer.allocUnsafe(objects.length * rawLength);
  for (let at = 0; at < objects.length; at++) {
    const id = (objects[at] as WalkedObject).id;
    if (id.length !== rawLength * 2 || raw.write(id, at * rawLength, rawLength, 'hex') !== rawLength) {
      return undefined;
    }
  }
  return raw;
}
