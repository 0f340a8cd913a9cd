import { createHash } from 'node:crypto';
import type { ObjectId } from '../git/object-id.js';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';
import type { FetchRequest } from '../git/protocol/fetch-request.js';
import type { PackCacheWriter } from '../storage/pack-cache.js';
import { cloneWalkKey } from './clone-walk.js';
import type { ByteSink } from './pack-sender.js';

/** Offset of the object count in a pack header (`PACK`, version, count). */
const PACK_COUNT_OFFSET = 8;

/**
 * The cache key of a full clone's pack: everything that decides its bytes. Objects are
 * content-addressed, so the wanted ids fix what is reachable; the options fix how it is encoded;
 * the tags fix what include-tag adds.
 */
export function clonePackKey(
  identity: string,
  request: FetchRequest,
  includeTags: ReadonlyArray<{ readonly tag: ObjectId; readonly peeled: ObjectId }>,
): string {
  const hash = createHash('sha256');
  // The walk key covers the wanted ids and the filter (what is sent); the rest is how.
  hash.update(`mega clone pack v2\n${identity}\n${cloneWalkKey(request.wants, request.filter)}\n`);
  hash.update(`ofs-delta ${request.ofsDelta}\n`);
  const tags = includeTags.map(({ tag, peeled }) => `tag ${tag} ${peeled}\n`).sort();
  for (const line of tags) hash.update(line);
  return hash.digest('hex');
}

/** Sends a cached pack through `sink`; returns its object count (from the pack header). */
export async function sendCachedPack(chunks: AsyncIterable<Buffer>, sink: ByteSink): Promise<number> {
  let objects = 0;
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length >= PACK_COUNT_OFFSET + 4) objects = chunk.readUInt32BE(PACK_COUNT_OFFSET);
    first = false;
    await sink.write(chunk);
    noteBufferGarbage(chunk.length);
  }
  return objects;
}

/** A sink that also copies every byte into a cache entry, at the pace the file takes them. */
export function teeToCache(sink: ByteSink, entry: PackCacheWriter): ByteSink {
  return {
    write: async (chunk) => {
      const lagging = entry.write(chunk);
      await sink.write(chunk);
      if (lagging) await lagging;
    },
  };
}
