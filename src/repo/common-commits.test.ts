import { describe, expect, it } from 'vitest';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { negotiateV2 } from '../git/protocol/negotiation.js';
import { parseV2FetchArgs } from '../git/protocol/fetch-request.js';
import { CommitCache, CommonCommits } from './common-commits.js';
import { completeObjectSource } from './single-read-objects.js';

const id = (n: number) => n.toString(16).padStart(40, '0') as ObjectId;

describe('CommonCommits', () => {
  it('answers a round of many haves with two reads, not some per have', async () => {
    // A chain of 200 commits; the client has 130 of them (tags and branches) and one unknown id.
    const commits = new Map<ObjectId, CommitSummary>();
    for (let n = 1; n <= 200; n++)
      commits.set(id(n), { id: id(n), tree: id(9999), parents: n > 1 ? [id(n - 1)] : [], committerTime: n });
    const reads = { has: 0, commits: 0 };
    const base = completeObjectSource({
      hasObjects: async (ids) => new Set(ids.filter((one) => commits.has(one))),
      readObject: async () => undefined,
      readCommit: async (one) => commits.get(one),
    });
    const source = {
      ...base,
      readObjects: base.readObjects.bind(base),
      hasObjects: (ids: readonly ObjectId[]) => (reads.has++, base.hasObjects(ids)),
      readCommit: (one: ObjectId) => (reads.commits++, base.readCommit(one)),
      readCommits: (ids: readonly ObjectId[]) => (reads.commits++, base.readCommits(ids)),
    };
    const cache = new CommitCache(source);
    const want = id(200);
    await cache.prefetch([want]);
    reads.commits = 0;
    const haves = [id(199), ...Array.from({ length: 129 }, (_, n) => id(1 + n)), id(5000)];
    const oracle = new CommonCommits(source, [want], cache);
    const result = await negotiateV2({ ...parseV2FetchArgs([]), wants: [want], haves }, oracle);
    expect(result.common).toHaveLength(130);
    expect(result.sendPack).toBe(true);
    expect(reads).toEqual({ has: 1, commits: 1 });
  });
});
