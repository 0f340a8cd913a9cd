import type { ObjectId } from '../../git/object-id.js';
import { person } from './commit-log.js';
import type { ObjectReader } from './object-reader.js';

/** Commits visited at most by one count; past it the counts are flagged inexact. */
export const MAX_AHEAD_BEHIND_WALK = 1_000;

export interface AheadBehind {
  /** Commits reachable from the branch and not from the base. */
  readonly ahead: number;
  /** Commits reachable from the base and not from the branch. */
  readonly behind: number;
  /** False when the walk stopped at its bound: the counts are then what it had seen (show "n+"). */
  readonly exact: boolean;
}

const FROM_BRANCH = 1;
const FROM_BASE = 2;
const FROM_BOTH = FROM_BRANCH | FROM_BASE;

/**
 * `git rev-list --left-right --count base...branch`, bounded: both tips are walked together,
 * newest committer date first, each commit painted with the sides that reach it; the walk ends
 * when every commit still queued is reachable from both sides (nothing below it can count), or
 * after `maxWalk` commits. Like git's default walk it trusts commit dates: a commit dated before
 * its parent (clock skew) can end the walk a little early.
 */
export async function aheadBehind(
  reader: ObjectReader,
  branch: ObjectId,
  base: ObjectId,
  maxWalk = MAX_AHEAD_BEHIND_WALK,
): Promise<AheadBehind> {
  if (branch === base) return { ahead: 0, behind: 0, exact: true };
  const paint = new Map<ObjectId, number>();
  const queued = new Map<ObjectId, number>(); // id → committer time
  const mark = async (id: ObjectId, side: number) => {
    const before = paint.get(id) ?? 0;
    if ((before | side) === before) return;
    paint.set(id, before | side);
    if (!queued.has(id)) queued.set(id, person((await reader.commit(id)).committer).timestamp);
  };
  await mark(branch, FROM_BRANCH);
  await mark(base, FROM_BASE);
  let walked = 0;
  let exact = true;
  while (queued.size > 0) {
    if ([...queued.keys()].every((id) => paint.get(id) === FROM_BOTH)) break;
    if (walked >= maxWalk) {
      exact = false;
      break;
    }
    let next: ObjectId | undefined;
    let nextTime = -Infinity;
    for (const [id, time] of queued) {
      if (time > nextTime) {
        next = id;
        nextTime = time;
      }
    }
    queued.delete(next!);
    walked++;
    const side = paint.get(next!)!;
    for (const parent of (await reader.commit(next!)).parents) await mark(parent, side);
  }
  let ahead = 0;
  let behind = 0;
  for (const side of paint.values()) {
    if (side === FROM_BRANCH) ahead++;
    else if (side === FROM_BASE) behind++;
  }
  return { ahead, behind, exact };
}
