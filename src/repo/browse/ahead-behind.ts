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
  const { paint, exact } = await paintWalk(reader, branch, base, maxWalk);
  let ahead = 0;
  let behind = 0;
  for (const { side } of paint.values()) {
    if (side === FROM_BRANCH) ahead++;
    else if (side === FROM_BASE) behind++;
  }
  return { ahead, behind, exact };
}

/** Largest list of commits `commitsBetween` returns. */
export const MAX_COMPARE_COMMITS = 250;

export interface CommitsBetween {
  /** Commits in `head` and not in `base` (`git log base..head`), newest first, at most `limit`. */
  readonly commits: readonly ObjectId[];
  /** The newest common ancestor (what `base...head` diffs from), if the walk reached one. */
  readonly mergeBase?: ObjectId;
  /** More commits than listed, or the walk stopped at its bound. */
  readonly truncated: boolean;
}

/** The commits of a compare page and its merge base, from the same bounded walk as `aheadBehind`. */
export async function commitsBetween(
  reader: ObjectReader,
  base: ObjectId,
  head: ObjectId,
  limit = MAX_COMPARE_COMMITS,
  maxWalk = MAX_AHEAD_BEHIND_WALK,
): Promise<CommitsBetween> {
  if (base === head) return { commits: [], mergeBase: head, truncated: false };
  const { paint, exact } = await paintWalk(reader, head, base, maxWalk);
  const mine = [...paint].filter(([, item]) => item.side === FROM_BRANCH);
  mine.sort((a, b) => b[1].time - a[1].time);
  // The newest commit both sides reach: no common ancestor can descend from it (dates increase).
  let mergeBase: { id: ObjectId; time: number } | undefined;
  for (const [id, item] of paint) {
    if (item.side === FROM_BOTH && (!mergeBase || item.time > mergeBase.time))
      mergeBase = { id, time: item.time };
  }
  return {
    commits: mine.slice(0, limit).map(([id]) => id),
    ...(mergeBase ? { mergeBase: mergeBase.id } : {}),
    truncated: !exact || mine.length > limit,
  };
}

/**
 * Walks both tips together, newest committer date first, painting each commit with the sides
 * that reach it; ends when every queued commit is reached from both sides (nothing below it can
 * count) or after `maxWalk` commits (`exact: false`).
 */
async function paintWalk(reader: ObjectReader, branch: ObjectId, base: ObjectId, maxWalk: number) {
  const paint = new Map<ObjectId, { side: number; time: number }>();
  const queued = new Set<ObjectId>();
  const mark = async (id: ObjectId, side: number) => {
    const before = paint.get(id);
    if (before && (before.side | side) === before.side) return;
    if (before) before.side |= side;
    else paint.set(id, { side, time: person((await reader.commit(id)).committer).timestamp });
    queued.add(id);
  };
  await mark(branch, FROM_BRANCH);
  await mark(base, FROM_BASE);
  let walked = 0;
  let exact = true;
  while (queued.size > 0) {
    if ([...queued].every((id) => paint.get(id)!.side === FROM_BOTH)) break;
    if (walked >= maxWalk) {
      exact = false;
      break;
    }
    let next: ObjectId | undefined;
    let nextTime = -Infinity;
    for (const id of queued) {
      const time = paint.get(id)!.time;
      if (time > nextTime) {
        next = id;
        nextTime = time;
      }
    }
    queued.delete(next!);
    walked++;
    const side = paint.get(next!)!.side;
    for (const parent of (await reader.commit(next!)).parents) await mark(parent, side);
  }
  return { paint, exact };
}
