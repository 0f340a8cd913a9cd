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
  /** Whether the repository holds a have (asked once per id). */
  private readonly present = new Map<ObjectId, boolean>();
  private oldestHave = Number.POSITIVE_INFINITY;
  readonly commonIds: ObjectId[] = [];

  constructor(
    private readonly objects: ObjectSource,
    private readonly wants: readonly ObjectId[],
    private readonly commits: CommitCache,
  ) {}

  /** Which haves of the round the repository holds, and their commits: two reads a round. */
  async prefetch(ids: readonly ObjectId[]): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => !this.present.has(id));
    if (unknown.length === 0) return;
    const found = await this.objects.hasObjects(unknown);
    for (const id of unknown) this.present.set(id, found.has(id));
    await this.commits.prefetch([...found]);
  }

  async addHave(id: ObjectId): Promise<boolean> {
    let present = this.present.get(id);
    if (present === undefined) {
      present = (await this.objects.hasObjects([id])).has(id);
      this.present.set(id, present);
    }
    if (!present) return false;
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
