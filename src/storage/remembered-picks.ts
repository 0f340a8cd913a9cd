import { createHash } from 'node:crypto';
import type { ObjectId } from '../git/object-id.js';
import { RememberedValues } from '../platform/remembered-values.js';
import type { TipWalk } from './clone-walk-tips/clone-walk-tips.js';

/** Bytes of picks kept: two `release-1` lists of the `large` bench repository (~10 MB each). */
export const MAX_REMEMBERED_PICK_BYTES = 32 * 1024 * 1024;
/** A pick unused this long is let go: an idle server does not hold it. */
export const REMEMBERED_PICK_MS = 10 * 60 * 1000;

/**
 * The entries a set of wants reaches by the tips' bitmaps over a recorded walk
 * (`CloneWalkStore.reachableEntries`), kept by `pickKey`. Each such clone (`git clone
 * --single-branch --branch <other>`) otherwise reads the walk's bitmaps and its 13 MB of parts
 * again and picks its entries (~50–60 ms of CPU before its pack's first byte for the `large`
 * bench repository), and a pack cut from a cached full pack keeps its cut by the same list
 * (`repo/cached-pack-subset.ts`).
 */
export class RememberedPicks<
  Picked extends { readonly byteLength: number },
> extends RememberedValues<Picked> {
  constructor(maxBytes = MAX_REMEMBERED_PICK_BYTES, idleMs = REMEMBERED_PICK_MS) {
    super((picked) => picked.byteLength, maxBytes, idleMs);
  }
}

/**
 * What tells a recorded walk of `repoId` from one recorded later under the same id (SQLite and
 * MariaDB may reuse a deleted row's id): its key (a walk of the same key holds the same objects)
 * and when it was recorded or last kept.
 */
export function walkStamp(repoId: number, walk: Pick<TipWalk, 'walkKey' | 'createdAt'>): string {
  return `${repoId} ${walk.walkKey} ${walk.createdAt}`;
}

/**
 * What a pick depends on: the walk as stored now (`walkStamp`, its id and count; a walk kept
 * again is picked again once) and the wants, in any order and repeated or not. The wants go in
 * as one hash, so a key stays small whatever a client asks for (the kept bytes count only picks).
 */
export function pickKey(repoId: number, walk: TipWalk, wants: readonly ObjectId[]): string {
  const distinct = [...new Set(wants)].sort();
  const wantsHash = createHash('sha256').update(distinct.join(' ')).digest('hex');
  return `${walk.walkId} ${walk.objectCount} ${walkStamp(repoId, walk)} ${wantsHash}`;
}
