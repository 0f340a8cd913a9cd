import type { ObjectId } from '../git/object-id.js';
import type { ObjectSource } from '../repo/served-repository.js';
import type { RefStore } from '../storage/ref-store.js';
import type { RepositoryStore } from '../storage/repository-store.js';
import type { DirectoryStore } from '../storage/monorepo/directory-store.js';
import type { ViewCommitStore } from '../storage/monorepo/view-commit-store.js';
import type { MergedPush } from '../storage/monorepo/merge-request-store.js';
import type { NewObject } from './pending-objects.js';

/**
 * What the Mega directory needs from the layers below, passed in explicitly (built once by
 * `mega serve` / `mega init` from the opened storage).
 */
export interface StoredObjects {
  /** Every stored object, whatever repository it arrived in (objects are content-addressed). */
  readonly source: ObjectSource;
  /** Stores objects (existing ones are skipped) and records them as held by a repository. */
  write(repoId: number, objects: readonly NewObject[]): Promise<void>;
  /** Records already stored objects as held by a repository (membership only). */
  link(repoId: number, ids: readonly ObjectId[]): Promise<void>;
  /** Makes every object one repository holds held by another as well. */
  linkRepository(targetRepoId: number, sourceRepoId: number): Promise<void>;
  /** Stored size of a repository in bytes (the clone limit sums these, seed §3). */
  repositorySize(repoId: number): Promise<number>;
}

export interface MonorepoDeps {
  readonly repositories: RepositoryStore;
  readonly refs: RefStore;
  readonly objects: StoredObjects;
  readonly directoryStore: DirectoryStore;
  readonly views: ViewCommitStore;
  /**
   * The newest merged merge requests pushed to a view path (at most `limit`): the view's next
   * step descends from the pushed commits it does not contain yet, so every pusher's clone
   * fast-forwards after their merge (see `synthetic-commit.ts`).
   */
  mergedPushes(viewPath: string, limit: number): Promise<readonly MergedPush[]>;
  /** `MEGA_CLONE_LIMIT`: largest expanded size of a directory clone, bytes. */
  readonly cloneLimit: number;
}

/** The branch of the directory repository, and of repositories created by a push. */
export const DEFAULT_BRANCH = 'refs/heads/main';

export type { ObjectId };
