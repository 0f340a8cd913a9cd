import type { ObjectId } from '../git/object-id.js';
import type { NegotiationOracle } from '../git/protocol/negotiation.js';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectSource } from './served-repository.js';

/** Commits visited per `okToGiveUp` check before answering "not yet" (bounds hostile wants). */
export const GIVE_UP_WALK_LIMIT = 20_000;

/**
 * The repository side of negotiation (git upload-pack's THEY_HAVE / ok_to_give_up): remembers
 * which commits the client has (each common `have` and its parents) and decides whether every
 * wanted commit already reaches one of them, so the client can stop sending haves.
 */
export class CommonCommits implements NegotiationOracle {
  private readonly theyHave = new Set<ObjectId>();
  private readonly satisfied = new Set<ObjectId>();
  private oldestHave = Number.POSITIVE_INFINITY;
  readonly commonIds: ObjectId[] = [];

  constructor(
    private readonly objects: ObjectSource,
    private readonly wants: readonly ObjectId[],
    private readonly commits: CommitCache,
  ) {}

  async addHave(id: ObjectId): Promise<boolean> {
    const present = await this.objects.hasObjects([id]);
    if (!present.has(id)) return false;
    this.commonIds.push(id);
    const commit = await this.commits.get(id);
    if (commit) {
      this.theyHave.add(id);
      for (const parent of commit.parents) this.theyHave.add(parent);
      this.oldestHave = Math.min(this.oldestHave, commit.committerTime);
    }
    return true;
  }

  async okToGiveUp(): Promise<boolean> {
    if (this.commonIds.length === 0) return false;
    for (const want of this.wants) {
      if (this.satisfied.has(want)) continue;
      if (!(await this.reachesCommon(want))) return false;
      this.satisfied.add(want);
    }
    return true;
  }

  /** Depth-first from `want` through parents, not below the oldest common commit's date. */
  private async reachesCommon(want: ObjectId): Promise<boolean> {
    const start = await this.commits.get(want);
    // Non-commit wants (blobs, trees) cannot be judged by ancestry; git treats them as satisfied.
    if (!start) return true;
    const stack: CommitSummary[] = [start];
    const seen = new Set<ObjectId>([want]);
    while (stack.length > 0) {
      if (seen.size > GIVE_UP_WALK_LIMIT) return false;
      const commit = stack.pop() as CommitSummary;
      if (this.theyHave.has(commit.id)) return true;
      if (commit.committerTime < this.oldestHave) continue;
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        const next = await this.commits.get(parent);
        if (next) stack.push(next);
      }
    }
    return false;
  }
}

/** Parsed commits of one request, so walks do not read a commit twice. */
export class CommitCache {
  private readonly cache = new Map<ObjectId, CommitSummary | null>();

  constructor(private readonly objects: ObjectSource) {}

  /** Reads the commits among `ids` not read yet in one batch. */
  async prefetch(ids: readonly ObjectId[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.cache.has(id));
    if (wanted.length === 0) return;
    const found = await this.objects.readCommits(wanted);
    for (const id of wanted) this.cache.set(id, found.get(id) ?? null);
  }

  async get(id: ObjectId): Promise<CommitSummary | undefined> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const commit = await this.objects.readCommit(id);
    this.cache.set(id, commit ?? null);
    return commit;
  }
}
