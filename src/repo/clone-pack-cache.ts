import { createHash } from 'node:crypto';
import type { ObjectId } from '../git/object-id.js';
import { noteBufferGarbage } from '../platform/buffer-garbage.js';
import type { FetchRequest } from '../git/protocol/fetch-request.js';
import { BAND_DATA, encodeSideband } from '../git/protocol/sideband.js';
import type { CachedPack, PackCacheWriter } from '../storage/pack-cache.js';
import { cloneWalkKey } from './clone-walk.js';
import type { ByteSink } from './pack-sender.js';
import type { GitResponseWriter } from './response-writer.js';

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

/** Framed pack data goes out in writes of this size (a few side-band packets each). */
const FRAMED_WRITE_BYTES = 1024 * 1024;

/** Sends a cached pack through `writer`; returns its object count (from the pack header). */
export async function sendCachedPack(pack: CachedPack, writer: GitResponseWriter): Promise<number> {
  const shared = pack.shared;
  if (!shared) return sendChunks(pack.chunks, writer, true);
  try {
    const packetBytes = writer.dataPacketBytes;
    const framed =
      packetBytes === undefined
        ? undefined
        : shared.framed(packetBytes, (bytes, maxData) => encodeSideband(BAND_DATA, bytes, maxData));
    if (!framed) return await sendChunks(pack.chunks, writer, false);
    // Whole packets from the copy every sender shares: no packet cut per write, no buffer to free.
    await writer.flushData();
    for (let at = 0; at < framed.length; at += FRAMED_WRITE_BYTES) {
      await writer.raw(framed.subarray(at, at + FRAMED_WRITE_BYTES));
    }
    return packObjectCount(shared.bytes);
  } finally {
    shared.release();
  }
}

function packObjectCount(pack: Buffer): number {
  return pack.length >= PACK_COUNT_OFFSET + 4 ? pack.readUInt32BE(PACK_COUNT_OFFSET) : 0;
}

/** The pack's pieces through the writer; `garbage`: each piece is dropped once written. */
async function sendChunks(chunks: AsyncIterable<Buffer>, sink: ByteSink, garbage: boolean): Promise<number> {
  let objects = 0;
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length >= PACK_COUNT_OFFSET + 4) objects = chunk.readUInt32BE(PACK_COUNT_OFFSET);
    first = false;
    await sink.write(chunk);
    if (garbage) noteBufferGarbage(chunk.length);
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
