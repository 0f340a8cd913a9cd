import { invalid } from '../platform/errors.js';
import { parseHeaderBlock, serializeHeaderBlock, type Header, type TextEncoding } from './headers.js';
import type { ObjectType } from './object.js';
import { headerObjectId, type ObjectId } from './object-id.js';

/** An annotated tag (git-mktag). A PGP signature, when present, is the tail of `message`. */
export interface Tag {
  readonly object: ObjectId;
  /** The type of the tagged object as written (normally an `ObjectType`). */
  readonly type: ObjectType | string;
  readonly tag: string;
  /** Raw ident text; very old tags have none. */
  readonly tagger?: string;
  readonly extraHeaders: readonly Header[];
  /** `undefined` when the tag has no blank line and no message. */
  readonly message: string | undefined;
  readonly textEncoding?: TextEncoding;
}

/** Bytes of a tag read to find what it names: its `object` and `type` lines come first. */
export const TAG_HEAD_BYTES = 4096;

const TAG_HEAD = /^object ([0-9a-f]{40}|[0-9a-f]{64})\n(?:type (commit|tree|blob|tag)\n)?/;

/**
 * What a tag names, read from its first bytes alone (a tag whose message is a deflate bomb costs
 * a few kilobytes, not its size). `type` is undefined when the second line is no type line.
 */
export function tagHeadTarget(head: Buffer): { object: ObjectId; type: ObjectType | undefined } | undefined {
  const match = TAG_HEAD.exec(head.toString('latin1', 0, Math.min(head.length, TAG_HEAD_BYTES)));
  if (!match) return undefined;
  return { object: headerObjectId(match[1]!), type: match[2] as ObjectType | undefined };
}

export function parseTag(data: Buffer): Tag {
  const block = parseHeaderBlock(data, 'tag');
  const [object, type, name, ...rest] = block.headers;
  if (object?.name !== 'object' || type?.name !== 'type' || name?.name !== 'tag') {
    throw invalid('object_bad_tag', 'tag must start with object, type and tag headers');
  }
  const hasTagger = rest[0]?.name === 'tagger';
  return {
    object: headerObjectId(object.value),
    type: type.value,
    tag: name.value,
    ...(hasTagger ? { tagger: rest[0]!.value } : {}),
    extraHeaders: hasTagger ? rest.slice(1) : rest,
    message: block.message,
    ...(block.encoding === 'latin1' ? { textEncoding: block.encoding } : {}),
  };
}

export function serializeTag(tag: Tag): Buffer {
  const headers: Header[] = [
    { name: 'object', value: tag.object },
    { name: 'type', value: tag.type },
    { name: 'tag', value: tag.tag },
    ...(tag.tagger === undefined ? [] : [{ name: 'tagger', value: tag.tagger }]),
    ...tag.extraHeaders,
  ];
  return serializeHeaderBlock(headers, tag.message, tag.textEncoding ?? 'utf8');
}
