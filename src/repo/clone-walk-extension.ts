import type { ObjectId } from '../git/object-id.js';
import { allReachable } from './ancestry.js';
import { CommitCache } from './common-commits.js';
import { walkObjects, type WalkResult } from './object-walk.js';
import type { ExtendableWalk, ObjectSource, WalkedObject } from './served-repository.js';
import { MAX_TAG_HOPS, readTagTarget } from './tag-target.js';

/**
 * What to append to the recorded walk of `previousWants` so that it becomes the full-clone walk
 * of `wants` (issue 20), instead of walking the whole repository again: after a push of one
 * commit this reads that commit and the trees it changes on both sides, and looks the result up
 * in the recorded walk's bytes, which are never decoded (half a million objects would be).
 *
 * `recorded` must be the walk of `previousWants` (the closure of what they reach, as
 * `fullCloneWalk` records it). Appending gives the walk of `wants` exactly when everything
 * `previousWants` reached is still reached: every previous want must be a new want, or a commit
 * the new history reaches (a fast-forward), or a commit a new want reaches within
 * `MAX_LEFT_TIP_SEARCH` commits (a merged branch deleted). Otherwise (an unmerged branch deleted,
 * a ref rewound or rebased, a tag deleted or moved) the answer says `reachesAll: false`: the
 * recorded walk holds objects the wants may no longer reach, so the caller selects the new walk
 * from the tips' bitmaps (`clone-walk.ts`) or walks the whole repository. Undefined when a want
 * added peels to a tree or a blob.
 *
 * The objects are those an incremental fetch of `wants` by a client holding `previousWants`
 * would receive (`walkObjects`), less those the recorded walk holds: that walk may send an
 * object the client has again, a recorded walk must not hold one twice. The answer carries that
 * walk, its haves and the commits read, for the moved tips' bitmaps (`moved-tip-bitmaps.ts`).
 */
export async function extendRecordedWalk(
  objects: ObjectSource,
  recorded: Pick<ExtendableWalk, 'among'>,
  previousWants: readonly ObjectId[],
  wants: readonly ObjectId[],
): Promise<WalkExtension | undefined> {
  const kept = new Set(wants);
  const left = previousWants.filter((id) => !kept.has(id));
  const alreadyRecorded = recorded.among(wants);
  const added = wants.filter((id) => !alreadyRecorded.has(id));
  const commits = new CommitCache(objects);
  // A wanted tree or blob (`allow-any-sha1-in-want` refs do not make these): walk everything.
  if ((await peelToCommits(objects, commits, added)).some((id) => id === undefined)) return undefined;
  const previous = (await peelToCommits(objects, commits, previousWants)).filter(
    (id): id is ObjectId => id !== undefined,
  );
  if (added.length === 0) {
    const reachesAll = await stillReached(objects, commits, left, wants);
    return { appended: [], commits, haves: previous, reachesAll };
  }
  const walk = await walkObjects(objects, commits, { wants: added, haves: previous, boundary: new Set() });
  // What no longer is a want must be reached again (through the new history, or from a want),
  // or the record would still send it.
  const edges = new Set(walk.edges);
  const reachesAll = await stillReached(
    objects,
    commits,
    left.filter((id) => !edges.has(id)),
    wants,
  );
  const inRecord = recorded.among(walk.objects.map((object) => object.id));
  return {
    appended: walk.objects.filter((object) => !inRecord.has(object.id)),
    commits,
    haves: previous,
    reachesAll,
    walk: { wants: added, result: walk },
  };
}

/**
 * Commits searched from the wants for the previous wants that are gone: a branch deleted after
 * its merge is found within a few commits of its target's tip, and giving up on an unmerged one
 * costs this many commit reads against the whole repository's walk.
 */
const MAX_LEFT_TIP_SEARCH = 10_000;

/** True when every one of `left` (previous wants no longer wanted) is a commit `wants` reach. */
async function stillReached(
  objects: ObjectSource,
  commits: CommitCache,
  left: readonly ObjectId[],
  wants: readonly ObjectId[],
): Promise<boolean> {
  if (left.length === 0) return true;
  const wantedCommits = (await peelToCommits(objects, commits, wants)).filter(
    (id): id is ObjectId => id !== undefined,
  );
  return allReachable(commits, left, wantedCommits, MAX_LEFT_TIP_SEARCH);
}

/** What extending a recorded walk appends, and how it was found (reused by `moved-tip-bitmaps.ts`). */
export interface WalkExtension {
  /** The objects to append to the recorded walk, in order. */
  readonly appended: readonly WalkedObject[];
  /** The commits read so far. */
  readonly commits: CommitCache;
  /** The commits the previous wants peel to: the incremental walk's haves. */
  readonly haves: readonly ObjectId[];
  /**
   * Whether the wants still reach everything the recorded walk holds (every previous want is
   * still reached): then appending gives their walk. Otherwise the recorded walk holds objects
   * they may not reach, and `appended` is what the wants reach beyond it.
   */
  readonly reachesAll: boolean;
  /** The incremental walk of the wants not recorded yet (absent: there were none). */
  readonly walk?: { readonly wants: readonly ObjectId[]; readonly result: WalkResult };
}

/** The commit each of `ids` peels to, undefined for one that peels to a tree or blob. */
async function peelToCommits(
  objects: ObjectSource,
  commits: CommitCache,
  ids: readonly ObjectId[],
): Promise<Array<ObjectId | undefined>> {
  const peeled: Array<ObjectId | undefined> = [];
  await commits.prefetch(ids);
  for (const want of ids) {
    let id: ObjectId | undefined = want;
    for (let hops = 0; id !== undefined && !(await commits.get(id)); hops++)
      id = hops < MAX_TAG_HOPS ? await readTagTarget(objects, id) : undefined;
    peeled.push(id);
  }
  return peeled;
}
