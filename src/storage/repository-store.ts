import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { SHA1, type ObjectFormat } from '../git/object-format.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { GithubIssueStore } from './github/github-issue-store.js';
import { CloneWalkStore } from './clone-walks.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { validateRefName, validateRepositoryPath } from './names.js';
import type { RepositoriesTable, RepositoryKind } from './schema.js';
import { nowTimestamp } from './sql-batches.js';
import { inTransaction } from './transaction.js';

/** A stored repository. */
export interface Repository {
  readonly id: number;
  readonly path: string;
  readonly kind: RepositoryKind;
  /** Target of the symbolic ref HEAD. */
  readonly headRef: string;
  readonly objectFormat: ObjectFormat['name'];
  readonly description: string | null;
  readonly createdAt: string;
}

export interface CreateRepositoryInput {
  readonly path: string;
  readonly kind: RepositoryKind;
  readonly headRef?: string;
  readonly objectFormat?: ObjectFormat['name'];
  readonly description?: string;
}

const DEFAULT_HEAD = 'refs/heads/main';

/**
 * Path of a repository being created by its first push, until the transaction that gives it its
 * refs (and b-link) renames it to its real path. Never a valid repository path (those start with
 * `/`), so no request finds it, and a crash in between leaves a row no path depends on.
 */
const PENDING_PREFIX = 'creating:';

/** True for a repository still being created by its first push (see `createPending`). */
export function isPending(repository: Pick<Repository, 'path'>): boolean {
  return repository.path.startsWith(PENDING_PREFIX);
}
const MAX_DESCRIPTION_LENGTH = 10_000;

function toRepository(row: Selectable<RepositoriesTable>): Repository {
  return {
    id: Number(row.id),
    path: row.path,
    kind: row.kind,
    headRef: row.head_ref,
    objectFormat: row.object_format === 'sha256' ? 'sha256' : SHA1.name,
    description: row.description,
    createdAt: row.created_at,
  };
}

/** Repositories by path: create, find, list, HEAD, delete. */
export class RepositoryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  /** Creates a repository; `conflict`/`repository_exists` when the path is taken. */
  async create(input: CreateRepositoryInput): Promise<Repository> {
    const path = validateRepositoryPath(input.path);
    const headRef = validateRefName(input.headRef ?? DEFAULT_HEAD);
    if ((input.description?.length ?? 0) > MAX_DESCRIPTION_LENGTH) {
      throw invalid('invalid_description', 'description is too long', { limit: MAX_DESCRIPTION_LENGTH });
    }
    const now = nowTimestamp();
    try {
      await this.db
        .insertInto('repositories')
        .values({
          path,
          kind: input.kind,
          head_ref: headRef,
          object_format: input.objectFormat ?? SHA1.name,
          description: input.description ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) {
        throw conflict('repository_exists', 'a repository already exists at this path', { path });
      }
      throw error;
    }
    return this.require(path);
  }

  /**
   * A repository for a first push to receive its objects into, under a placeholder path
   * (`isPending`); `claim` gives it its real path in the transaction that creates its refs.
   */
  async createPending(input: Pick<CreateRepositoryInput, 'kind' | 'objectFormat'>): Promise<Repository> {
    const path = `${PENDING_PREFIX}${randomUUID()}`;
    const now = nowTimestamp();
    await this.db
      .insertInto('repositories')
      .values({
        path,
        kind: input.kind,
        head_ref: DEFAULT_HEAD,
        object_format: input.objectFormat ?? SHA1.name,
        description: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const row = await this.db
      .selectFrom('repositories')
      .selectAll()
      .where('path', '=', path)
      .executeTakeFirst();
    if (!row) throw notFound('repository_not_found', 'repository not found', { path });
    return toRepository(row);
  }

  /**
   * Gives a pending repository its real path; `conflict`/`repository_exists` when another
   * repository has it. Meant for the transaction that also creates the repository's refs.
   */
  async claim(repoId: number, path: string): Promise<Repository> {
    validateRepositoryPath(path);
    const taken = () => conflict('repository_exists', 'a repository already exists at this path', { path });
    if (await this.find(path)) throw taken();
    try {
      const result = await this.db
        .updateTable('repositories')
        .set({ path, updated_at: nowTimestamp() })
        .where('id', '=', repoId)
        .where(sql<string>`substr(path, 1, ${PENDING_PREFIX.length})`, '=', PENDING_PREFIX)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0)
        throw notFound('repository_not_found', 'pending repository not found', { repoId });
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) throw taken();
      throw error;
    }
    return this.require(path);
  }

  /** Repositories without any ref (empty, or half-created by an older version), by path. */
  async listWithoutRefs(): Promise<Repository[]> {
    const rows = await this.db
      .selectFrom('repositories')
      .selectAll()
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('refs').select('refs.id').whereRef('refs.repo_id', '=', 'repositories.id'))),
      )
      .orderBy('path')
      .execute();
    return rows.map(toRepository).filter((repository) => !isPending(repository));
  }

  /** Pending repositories created before `before` (ISO time): left behind by a crash. */
  async listPending(before: string): Promise<Repository[]> {
    const rows = await this.db
      .selectFrom('repositories')
      .selectAll()
      .where(sql<string>`substr(path, 1, ${PENDING_PREFIX.length})`, '=', PENDING_PREFIX)
      .where('created_at', '<', before)
      .execute();
    return rows.map(toRepository);
  }

  /** The repository at `path`, or undefined. Invalid paths are simply not found. */
  async find(path: string): Promise<Repository | undefined> {
    const row = await this.db
      .selectFrom('repositories')
      .selectAll()
      .where('path', '=', path)
      .executeTakeFirst();
    return row ? toRepository(row) : undefined;
  }

  async findById(id: number): Promise<Repository | undefined> {
    const row = await this.db.selectFrom('repositories').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRepository(row) : undefined;
  }

  /** The repository at `path`; throws `not_found`/`repository_not_found`. */
  async require(path: string): Promise<Repository> {
    const repository = await this.find(path);
    if (!repository) throw notFound('repository_not_found', 'repository not found', { path });
    return repository;
  }

  /** Repositories whose path is `prefix` or below it (all when omitted), by path. */
  async list(options: { prefix?: string; kind?: RepositoryKind } = {}): Promise<Repository[]> {
    let query = this.db.selectFrom('repositories').selectAll().orderBy('path');
    if (options.kind) query = query.where('kind', '=', options.kind);
    if (options.prefix && options.prefix !== '/') {
      const prefix = options.prefix.replace(/\/$/, '');
      const below = `${prefix}/`;
      // substr instead of LIKE: LIKE escaping differs between the three databases. Paths are ASCII.
      query = query.where((eb) =>
        eb.or([eb('path', '=', prefix), eb(sql<string>`substr(path, 1, ${below.length})`, '=', below)]),
      );
    }
    return (await query.execute()).map(toRepository).filter((repository) => !isPending(repository));
  }

  /** Points HEAD at another branch (the branch need not exist yet, as in git). */
  async setHead(repoId: number, headRef: string): Promise<void> {
    const result = await this.db
      .updateTable('repositories')
      .set({ head_ref: validateRefName(headRef), updated_at: nowTimestamp() })
      .where('id', '=', repoId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0)
      throw notFound('repository_not_found', 'repository not found', { repoId });
  }

  /** Deletes a repository with its refs and object membership (shared object rows stay). */
  async delete(repoId: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await trx.deleteFrom('refs').where('repo_id', '=', repoId).execute();
      await trx.deleteFrom('repository_objects').where('repo_id', '=', repoId).execute();
      await new CloneWalkStore(trx, this.capabilities).deleteRepository(repoId);
      // The seed's GitHub tables have no foreign key (github_* tables cascade).
      await new GithubIssueStore(trx, this.capabilities).deleteRepository(repoId);
      await trx.deleteFrom('repositories').where('id', '=', repoId).execute();
    });
  }
}
