import type { Kysely } from 'kysely';
import type { ObjectType } from '../git/object.js';
import { SHA1, type ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { CloneWalkStore } from './clone-walks.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { ingestPack, type IngestOptions, type IngestResult } from './ingest.js';
import { migrateDown, migrateToLatest, migrationStatus } from './migrations/migrator.js';
import { moveObjectFilesToChunks } from './object-file-move.js';
import { ObjectFiles } from './object-files.js';
import { ObjectStore } from './object-store.js';
import { ObjectWriter } from './object-writer.js';
import { openDatabase, type MegaDatabase, type OpenDatabaseOptions } from './open-database.js';
import { RefStore } from './ref-store.js';
import { RepositoryStore } from './repository-store.js';
import { removeStaleSpools } from './pack-file-spool.js';
import { asFileFault, type StorageFaultLog } from './storage-faults.js';
import { inTransaction } from './transaction.js';
import { UserStore } from './user-store.js';
import { prepareDataDirectory } from './data-directory.js';
import { AccessStore } from './access/access-store.js';
import { GithubIssueStore } from './github/github-issue-store.js';
import { GithubLinkStore } from './github/github-link-store.js';
import { InstallationStore } from './installation/installation-store.js';
import type { LfsBlobStore } from './lfs/lfs-blob-store.js';
import { openLfsBlobStore } from './lfs/open-lfs-blob-store.js';
import { LfsStore } from './lfs/lfs-store.js';
import { DirectoryStore } from './monorepo/directory-store.js';
import { MergeRequestStore } from './monorepo/merge-request-store.js';
import { ObjectHolders } from './monorepo/object-holders.js';
import { ViewCommitStore } from './monorepo/view-commit-store.js';
import { ApprovalStore } from './review/approval-store.js';
import { CommentStore } from './review/comment-store.js';
import { CommitStatusStore } from './review/commit-status-store.js';
import { ReviewRuleStore } from './review/review-rule-store.js';
import { SearchStore } from './search/search-store.js';
import { SshKeyStore } from './ssh/ssh-key-store.js';
import { WebhookStore } from './review/webhook-store.js';
import { RepositoryScan } from './repository-scan.js';
import { StorageHealth } from './storage-health.js';
import { SyncConfigStore } from './sync/sync-config-store.js';
import { SyncLeaseStore } from './sync/sync-lease-store.js';
import { SyncRunStore } from './sync/sync-run-store.js';

/** What storage needs from the process configuration (a subset of `MegaConfig`). */
export interface StorageConfig {
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** Objects at least this big are stored in chunk rows (`object_chunks`), streamed in and out. */
  readonly largeObjectThreshold: number;
  /** Threads resolving the deltas of a pushed pack (default 1: on the request's thread). */
  readonly ingestThreads?: number;
  /** Packs of at least this many objects are decoded on a thread of their own (unset or 0: none). */
  readonly ingestDecodeThreadMinObjects?: number;
  /** fsck message ids that do not refuse a push (receive.fsck.<id>=ignore), validated by config. */
  readonly git?: { readonly fsckIgnore?: readonly string[] };
  /** Free bytes the data directory must keep for the readiness check (default 0: any). */
  readonly minFreeBytes?: number;
  /** Where LFS contents live: `file:DIR` (default `<dataDir>/lfs`), `db` or `s3://…`. */
  readonly lfsStore?: string;
}

/** The monorepo area's tables: the Mega directory, view commits, merge requests, object links. */
export interface MonorepoStores {
  readonly directory: DirectoryStore;
  readonly views: ViewCommitStore;
  readonly mergeRequests: MergeRequestStore;
  readonly holders: ObjectHolders;
}

/** The review area's tables (issue 22): discussions, approvals, rules, commit statuses, webhooks. */
export interface ReviewStores {
  readonly comments: CommentStore;
  readonly approvals: ApprovalStore;
  readonly rules: ReviewRuleStore;
  readonly statuses: CommitStatusStore;
  readonly webhooks: WebhookStore;
}

/** GitHub links and deliveries, and the seed's `issue`/`pull_request` with comments and labels. */
export interface GithubStores {
  readonly links: GithubLinkStore;
  readonly issues: GithubIssueStore;
}

/** The sync area's tables: tenants and their configuration, runs and requests, worker leases. */
export interface SyncStores {
  readonly config: SyncConfigStore;
  readonly runs: SyncRunStore;
  readonly leases: SyncLeaseStore;
}

/**
 * Every store over one database handle (the pool, or a transaction). Each store takes
 * `(db, capabilities)` and joins a caller's transaction (`inTransaction`), so any of them can be
 * used inside `Storage.transaction`. Layers above storage see these stores, never the handle.
 */
export interface StorageScope {
  readonly repositories: RepositoryStore;
  readonly refs: RefStore;
  readonly objects: ObjectStore;
  readonly users: UserStore;
  /** Groups, grants on paths, path settings, protected branches (`src/access` gives them meaning). */
  readonly access: AccessStore;
  /** Recorded full-clone walks (object lists), so a clone can skip walking. */
  readonly cloneWalks: CloneWalkStore;
  /** Whole-repository reads (every commit, every tree) for clone snapshots and fsck. */
  readonly scan: RepositoryScan;
  readonly monorepo: MonorepoStores;
  readonly review: ReviewStores;
  /** The LFS object catalogue and file locks. */
  readonly lfs: LfsStore;
  readonly sync: SyncStores;
  /** GitHub issues and pull requests of /import repositories (migration 0015, docs/github.md). */
  readonly github: GithubStores;
  /** Installation-wide settings: its id and the deployment secret's fingerprint. */
  readonly installation: InstallationStore;
  /** The code search index (`search/search-store.ts`, docs/search.md). */
  readonly search: SearchStore;
  /** SSH public keys of users and deploy keys, and the stored host keys (`ssh/ssh-key-store.ts`). */
  readonly ssh: SshKeyStore;
  /** Decodes and stores a pack for a repository, all or nothing (see `ingest.ts`). */
  ingestPack(
    repoId: number,
    source: AsyncIterable<Uint8Array>,
    options?: IngestOptions,
  ): Promise<IngestResult>;
  /** Stores objects the server made itself (hashing and deflating them); returns their ids. */
  writeObjects(
    repoId: number,
    objects: ReadonlyArray<{ type: ObjectType; data: Buffer }>,
    format?: ObjectFormat,
  ): Promise<ObjectId[]>;
}

export interface Storage extends StorageScope {
  /** The database URL without its password, for logs. */
  readonly displayUrl: string;
  /** LFS object contents, in the store `lfsStore` names (`lfs/open-lfs-blob-store.ts`). */
  readonly lfsBlobs: LfsBlobStore;
  /** Another LFS blob store by spec, over the same database (`mega lfs migrate-store`); caller closes it. */
  openLfsBlobStore(spec: string): LfsBlobStore;
  /** Readiness of storage's dependencies: the database answers, the data directory has room. */
  readonly health: StorageHealth;
  /**
   * Runs `work` with stores bound to one transaction: everything it does commits together or
   * not at all (e.g. a push's ingest and its ref updates, a merge across repositories).
   */
  transaction<T>(work: (scope: StorageScope) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function effectiveThreshold(config: StorageConfig, capabilities: DialectCapabilities): number {
  // A row bigger than one statement may carry cannot be inserted; such objects go to chunks.
  return Math.min(config.largeObjectThreshold, Math.floor(capabilities.maxStatementBytes / 2));
}

function scopeOver(db: Kysely<Database>, database: MegaDatabase, config: StorageConfig): StorageScope {
  const { capabilities, runPreparedBatch, runPreparedQuery } = database;
  const largeObjectThreshold = effectiveThreshold(config, capabilities);
  const fastPath = runPreparedBatch ? { runPreparedBatch } : {};
  const fsck = { strict: true, ignore: new Set(config.git?.fsckIgnore ?? []) };
  return withTypedWriteFaults(database.faults, {
    repositories: new RepositoryStore(db, capabilities),
    refs: new RefStore(db, capabilities),
    objects: new ObjectStore(db, capabilities, runPreparedQuery),
    users: new UserStore(db, capabilities),
    access: new AccessStore(db, capabilities),
    cloneWalks: new CloneWalkStore(db, capabilities),
    scan: new RepositoryScan(db, capabilities),
    monorepo: {
      directory: new DirectoryStore(db, capabilities),
      views: new ViewCommitStore(db, capabilities),
      mergeRequests: new MergeRequestStore(db, capabilities),
      holders: new ObjectHolders(db, capabilities),
    },
    review: {
      comments: new CommentStore(db, capabilities),
      approvals: new ApprovalStore(db, capabilities),
      rules: new ReviewRuleStore(db, capabilities),
      statuses: new CommitStatusStore(db, capabilities),
      webhooks: new WebhookStore(db, capabilities),
    },
    lfs: new LfsStore(db, capabilities),
    sync: {
      config: new SyncConfigStore(db, capabilities),
      runs: new SyncRunStore(db, capabilities),
      leases: new SyncLeaseStore(db, capabilities),
    },
    github: { links: new GithubLinkStore(db, capabilities), issues: new GithubIssueStore(db, capabilities) },
    installation: new InstallationStore(db, capabilities),
    search: new SearchStore(db, capabilities),
    ssh: new SshKeyStore(db, capabilities),
    ingestPack: (repoId, source, options) =>
      ingestPack(
        {
          db,
          capabilities,
          dataDir: config.dataDir,
          largeObjectThreshold,
          ...fastPath,
          ...(config.ingestThreads ? { threads: config.ingestThreads } : {}),
          ...(config.ingestDecodeThreadMinObjects
            ? { decodeThreadMinObjects: config.ingestDecodeThreadMinObjects }
            : {}),
          fsck,
        },
        repoId,
        source,
        options,
      ),
    writeObjects: (repoId, objects, format = SHA1) =>
      inTransaction(db, async (trx) => {
        const writer = new ObjectWriter(trx, capabilities, {
          repoId,
          format,
          largeObjectThreshold,
          ...fastPath,
        });
        const ids: ObjectId[] = [];
        for (const object of objects) ids.push(await writer.addContent(object.type, object.data));
        await writer.finish();
        return ids;
      }),
  });
}

/**
 * Writes of object data (spooled packs, object files, rows) report a full disk as the typed
 * `storage_full` fault and note it for the readiness check; other errors pass unchanged.
 */
function withTypedWriteFaults(faults: StorageFaultLog, scope: StorageScope): StorageScope {
  const typed = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const fault = asFileFault(error);
      faults.record(fault);
      throw fault;
    }
  };
  return {
    ...scope,
    ingestPack: (...args) => typed(() => scope.ingestPack(...args)),
    writeObjects: (...args) => typed(() => scope.writeObjects(...args)),
  };
}

/** Builds the stores over an open database. Nothing here holds global state. */
export function createStorage(database: MegaDatabase, config: StorageConfig): Storage {
  const root = scopeOver(database.db, database, config);
  const blobContext = { dataDir: config.dataDir, db: database.db, capabilities: database.capabilities };
  const lfsBlobs = openLfsBlobStore(config.lfsStore, blobContext);
  return {
    ...root,
    displayUrl: database.displayUrl,
    lfsBlobs,
    openLfsBlobStore: (spec) => openLfsBlobStore(spec, blobContext),
    health: new StorageHealth(database, {
      dataDir: config.dataDir,
      minFreeBytes: config.minFreeBytes ?? 0,
      lfsBlobs,
    }),
    transaction: (work) => inTransaction(database.db, (trx) => work(scopeOver(trx, database, config))),
    close: async () => {
      await lfsBlobs.close();
      await database.close();
    },
  };
}

/**
 * Checks that the data directory can be written, opens the configured database, migrates it to the
 * latest schema, moves object files of older versions into the database, removes temp files a
 * crash left behind, and returns the stores. The caller closes it.
 */
export async function openStorage(
  config: StorageConfig,
  options: OpenDatabaseOptions = {},
): Promise<Storage> {
  await prepareDataDirectory(config.dataDir);
  const database = openDatabase(config.databaseUrl, options);
  try {
    await migrateToLatest(database);
    const storage = createStorage(database, config);
    // Installations from before migration 0007 kept large objects in files: move them in.
    const files = new ObjectFiles(config.dataDir);
    await files.removeStaleTemps();
    await moveObjectFilesToChunks(database.db, database.capabilities, files);
    await removeStaleSpools(config.dataDir);
    return storage;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Schema operations for `mega migrate`, on a database opened for them alone. */
export interface SchemaMigrations {
  /** The database URL without its password, for messages. */
  readonly displayUrl: string;
  status(): Promise<Array<{ name: string; applied: boolean }>>;
  /** Applies pending migrations; returns their names. */
  toLatest(): Promise<string[]>;
  /** Reverts the most recently applied migration; returns its name. */
  down(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens the database at `url` without migrating it, so the caller chooses the direction. */
export function openMigrations(url: string): SchemaMigrations {
  const database = openDatabase(url);
  return {
    displayUrl: database.displayUrl,
    status: () => migrationStatus(database),
    toLatest: () => migrateToLatest(database),
    down: () => migrateDown(database),
    close: () => database.close(),
  };
}
