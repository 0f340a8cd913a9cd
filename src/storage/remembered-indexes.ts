import { RememberedValues } from '../platform/remembered-values.js';

/** Bytes of entry indexes kept in memory: two of the `large` bench repository's (12.9 MB each). */
export const MAX_REMEMBERED_INDEX_BYTES = 32 * 1024 * 1024;
/** An index unused this long is let go: an idle server does not hold it. */
export const REMEMBERED_INDEX_MS = 10 * 60 * 1000;

/**
 * Cached packs' entry indexes (`repo/pack-entry-index.ts`, with the pack's checksum at their end)
 * kept in memory by cache key, the least recently used let go beyond `maxBytes` or after `idleMs`
 * unused. A partial clone cut out of a full clone's cached pack (`repo/cached-pack-subset.ts`)
 * then does not read the index from its file: the first such clone after the full clone finds the
 * bytes the full clone wrote, and clones cut at once share one copy instead of one each.
 * The caller checks the checksum against the pack before using one.
 */
export class RememberedIndexes extends RememberedValues<Buffer> {
  constructor(maxBytes = MAX_REMEMBERED_INDEX_BYTES, idleMs = REMEMBERED_INDEX_MS) {
    super((bytes) => bytes.length, maxBytes, idleMs);
  }
}
