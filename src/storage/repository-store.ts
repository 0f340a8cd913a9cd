import { sql, type Kysely, type Selectable } from 'kysely';
import { SHA1, type ObjectFormat } from '../git/object-format.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { CloneWalkStore } from './clone-walks.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { validateRefName, validateRepositoryPath } from './names.js';
import type { RepositoriesTable, RepositoryKind } from './schema.js';
import { nowTimestamp } from './sql-batches.js';

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
    return (await query.execute()).map(toRepository);
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
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('refs').where('repo_id', '=', repoId).execute();
      await trx.deleteFrom('repository_objects').where('repo_id', '=', repoId).execute();
      await new CloneWalkStore(trx, this.capabilities).deleteRepository(repoId);
      await trx.deleteFrom('repositories').where('id', '=', repoId).execute();
    });
  }
}
