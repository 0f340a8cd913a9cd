import { describe, expect, it } from 'vitest';
import type { CommitSummary } from '../git/commit.js';
import { parseObjectId, type ObjectId } from '../git/object-id.js';
import { findAncestor, isAncestor } from './ancestry.js';
import type { ObjectSource } from './served-repository.js';

const id = (n: number): ObjectId => parseObjectId(n.toString(16).padStart(40, '0'));

/** A history of commits `n` → parents, with committer times (seconds). */
function history(commits: Record<number, { parents: number[]; time: number }>): ObjectSource {
  const summary = (n: number): CommitSummary | undefined => {
    const commit = commits[n];
    return commit
      ? ({
          tree: id(0),
          parents: commit.parents.map(id),
          committerTime: commit.time,
        } as unknown as CommitSummary)
      : undefined;
  };
  const byId = new Map(Object.keys(commits).map((key) => [id(Number(key)), Number(key)]));
  return {
    readCommit: async (oid: ObjectId) => summary(byId.get(oid) ?? -1),
    readCommits: async (oids: readonly ObjectId[]) =>
      new Map(
        oids.flatMap((oid) => {
          const found = summary(byId.get(oid) ?? -1);
          return found ? [[oid, found] as const] : [];
        }),
      ),
  } as unknown as ObjectSource;
}

const DAY = 86_400;
const NOW = 1_800_000_000;

describe('ancestry', () => {
  it('finds an ancestor whatever the committer times say (old-dated commits on a new head)', async () => {
    // 1 is the server's commit of today; 2 and 3 were committed on top with a 2023 date.
    const objects = history({
      1: { parents: [], time: NOW },
      2: { parents: [1], time: NOW - 900 * DAY },
      3: { parents: [2], time: NOW - 900 * DAY },
    });
    expect(await isAncestor(objects, id(1), id(3))).toBe(true);
    expect(await isAncestor(objects, id(3), id(1))).toBe(false);
  });

  it('follows every parent of merges, nearest first, and stops at its bound', async () => {
    const objects = history({
      1: { parents: [], time: NOW },
      2: { parents: [1], time: NOW },
      3: { parents: [1], time: NOW },
      4: { parents: [2, 3], time: NOW },
    });
    expect(await isAncestor(objects, id(3), id(4))).toBe(true);
    const visited: ObjectId[] = [];
    await findAncestor(objects, id(4), (oid) => {
      visited.push(oid);
      return false;
    });
    expect(visited).toEqual([id(4), id(2), id(3), id(1)]);
    expect(await findAncestor(objects, id(4), (oid) => oid === id(1), 2)).toBeUndefined();
  });

  it('answers no for a missing commit instead of failing', async () => {
    expect(await isAncestor(history({ 1: { parents: [9], time: NOW } }), id(8), id(1))).toBe(false);
  });
});
