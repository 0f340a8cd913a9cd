import type { AccessAdmin } from '../access/access-admin.js';
import type { AccessPolicy } from '../access/access-policy.js';
import type { PushGuard } from '../access/push-guard.js';
import type { Logger } from '../platform/logger.js';
import type { MegaConfig } from '../platform/config.js';
import type { ReadinessCheck } from '../platform/readiness.js';
import type { Registry } from '../platform/metrics.js';
import type { LfsServices } from '../lfs/lfs-services.js';
import type { CloneWalkRecorder } from '../repo/clone-walk-recorder.js';
import type { ForegroundWork } from '../platform/foreground-work.js';
import type { RepositoryResolver } from '../repo/served-repository.js';
import type { RepositoryAdmin } from '../monorepo/repository-admin.js';
import type { CodeSearch } from '../repo/search/code-search.js';
import type { ReviewServices } from '../review/review-services.js';
import type { PackCache } from '../storage/pack-cache.js';
import type { UserStore } from '../storage/user-store.js';
import type { SyncService } from '../sync/sync-service.js';
import type { SshKeyService } from '../ssh/ssh-key-service.js';
import type { GithubReader } from '../github/github-reader.js';
import type { GithubService } from '../github/github-service.js';
import type { TokenAuthenticator } from '../access/principal.js';
import type { RepoRouter } from './repo-router.js';
import type { OperationRegistry } from './api/openapi.js';

/** What the token routes need of storage's `UserStore`: a user's own tokens, nothing more. */
export type AccountTokens = Pick<UserStore, 'listTokens' | 'createToken' | 'revokeToken'>;

/**
 * The services the HTTP layer uses, built once by the composition root (`src/cli/app.ts`
 * `buildApp`, for `mega serve` and tests alike) and passed in. Route plugins use them and never
 * construct services or stores; nothing here is a database handle.
 */
export interface WebDeps {
  readonly config: MegaConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Resolves a presented token to a principal (storage's hashed tokens in production). */
  readonly authenticate: TokenAuthenticator;
  /** Grants, groups and path settings: what a principal may do where (`request.permissions()`). */
  readonly access: AccessPolicy;
  /** Managing grants, path settings, protected branches and groups (routes check the caller first). */
  readonly accessAdmin: AccessAdmin;
  /** Per-ref push rules (force-push, deletion, protected branches), wrapped around each push. */
  readonly pushGuard: PushGuard;
  /** Maps URL paths to served repositories: the Mega directory's resolver in `mega serve`. */
  readonly repositories: RepositoryResolver;
  /** Administrator operations on repositories (default branch, delete, repair). */
  readonly repositoryAdmin: RepositoryAdmin;
  /** Merge requests of the Mega directory and their review (discussions, approvals, checks, webhooks). */
  readonly review: ReviewServices;
  /** A signed-in user's own access tokens (`/api/v1/user/tokens`); signing in is `authenticate`. */
  readonly users: AccountTokens;
  /** SSH keys of users and deploy keys (git over SSH, `src/ssh`). */
  readonly sshKeys: SshKeyService;
  /** Git LFS objects and locks. */
  readonly lfs: LfsServices;
  /** Sync tenants, credentials, repositories and triggers; publishes on the process's sync bus. */
  readonly sync: SyncService;
  /** GitHub links, polls and webhooks, and the read views of synced issues and pull requests. */
  readonly github: { readonly service: GithubService; readonly reader: GithubReader };
  /** Finished clone packs, reused by later clones of the same refs. */
  readonly packCache: PackCache;
  /** Records clone walks in the background after a push. */
  readonly walkRecorder: CloneWalkRecorder;
  /** Git requests in flight (marked by the smart HTTP routes): background jobs give way to them. */
  readonly gitRequests: ForegroundWork;
  /** Code search over every default branch (`src/repo/search`). */
  readonly search: CodeSearch;
  /** Readiness beyond "listening": each dependency's state (database, free space, Redis). */
  readonly readiness: ReadinessCheck;
}

/** What an area's route plugin receives: the deps plus the repository-scoped router. */
export interface RouteContext extends WebDeps {
  readonly repoRouter: RepoRouter;
  /** Every declared REST operation (`routesOf`), for the OpenAPI document. */
  readonly operations: OperationRegistry;
}
