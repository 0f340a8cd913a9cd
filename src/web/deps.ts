import type { Logger } from '../platform/logger.js';
import type { MegaConfig } from '../platform/config.js';
import type { ReadinessCheck } from '../platform/readiness.js';
import type { Registry } from '../platform/metrics.js';
import type { MegaDatabase } from '../storage/open-database.js';
import type { Storage } from '../storage/storage.js';
import type { RepositoryResolver } from '../repo/served-repository.js';
import type { RepositoryAdmin } from '../monorepo/repository-admin.js';
import type { TokenAuthenticator } from './principal.js';
import type { RepoRouter } from './repo-router.js';
import type { OperationRegistry } from './api/openapi.js';

/**
 * Everything the HTTP layer needs, built once by `mega serve` (or a test) and passed in;
 * nothing here is a module-level singleton.
 */
export interface WebDeps {
  readonly config: MegaConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The opened database handle (`openDatabase`, migrated); same as `storage.database`. */
  readonly database: MegaDatabase;
  /** The stores over that database (`openStorage`): repositories, refs, objects, users. */
  readonly storage: Storage;
  /** Resolves a presented token to a principal (storage's hashed tokens in production). */
  readonly authenticate: TokenAuthenticator;
  /** Maps URL paths to served repositories: the Mega directory's resolver in `mega serve`. */
  readonly repositories: RepositoryResolver;
  /** Administrator operations on repositories (default branch, delete); absent: routes not served. */
  readonly repositoryAdmin?: RepositoryAdmin;
  /** Readiness beyond "listening": each dependency's state (database, free space, …). */
  readonly readiness?: ReadinessCheck;
}

/** What an area's route plugin receives: the deps plus the repository-scoped router. */
export interface RouteContext extends WebDeps {
  readonly repoRouter: RepoRouter;
  /** Every declared REST operation (`routesOf`), for the OpenAPI document. */
  readonly operations: OperationRegistry;
}
