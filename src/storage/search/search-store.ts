import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { batchIds, batchRows, nowTimestamp } from '../sql-batches.js';
import { inTransaction } from '../transaction.js';
import { MAX_TRIGRAM_WORDS, trigramQuery, trigramWords } from './trigram-words.js';

/** One text file to index at a repository's default branch. */
export interface IndexedFile {
  readonly path: string;
  readonly blobId: string;
  readonly size: number;
  readonly content: string;
}

/** A file left out of the index, and why (`binary`, `too_large`, `too_many_trigrams`). */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** What the index reflects for one repository. */
export interface SearchHead {
  readonly repoId: number;
  readonly repoPath: string;
  readonly headRef: string;
  /** The default branch's commit indexed; null when the branch did not exist. */
  readonly commitId: string | null;
  readonly files: number;
  readonly skipped: readonly SkippedFile[];
  readonly indexedAt: string;
}

/** One indexing step of a repository, applied all or nothing. */
export interface IndexUpdate {
  readonly repoId: number;
  readonly repoPath: string;
  readonly headRef: string;
  readonly commitId: string | null;
  /** The commit the index must still reflect for the step to apply (undefined: don't check). */
  readonly expectedCommitId?: string | null;
  /** Drop every row of the repository first (a full reindex). */
  readonly replaceAll: boolean;
  /** Paths whose rows go (deleted or changed files). */
  readonly remove: readonly string[];
  readonly add: readonly IndexedFile[];
  /** The complete list of files left out at the new commit. */
  readonly skipped: readonly SkippedFile[];
}

/** Which files may hold a match: all of `literals` occur in them, case-insensitively. */
export interface CandidateQuery {
  readonly repoIds: readonly number[];
  /** Each at least 3 characters; empty = every file (then a `pathPrefix` should narrow it). */
  readonly literals: readonly string[];
  /** Only paths starting with this (inside the repositories), e.g. `src/`. */
  readonly pathPrefix?: string;
  /** Rows after this id (paging through candidates in id order). */
  readonly afterId: number;
  readonly limit: number;
}

export interface CandidateFile {
  readonly id: number;
  readonly repoId: number;
  readonly path: string;
  readonly content: string;
}

/**
 * The code search index (`search_heads`, `search_files`; migration 0013): text files of each
 * repository's default branch behind the database's trigram index (`capabilities.trigramIndex`).
 * Candidates are a superset of the files that match: the caller verifies line by line.
 */
export class SearchStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {}

  async head(repoId: number): Promise<SearchHead | undefined> {
    const row = await this.db
      .selectFrom('search_heads')
      .selectAll()
      .where('repo_id', '=', repoId)
      .executeTakeFirst();
    return row ? headOf(row) : undefined;
  }

  async heads(): Promise<SearchHead[]> {
    const rows = await this.db.selectFrom('search_heads').selectAll().orderBy('repo_id').execute();
    return rows.map(headOf);
  }

  /**
   * Applies one indexing step in a transaction. Returns false (and changes nothing) when the
   * recorded commit is no longer `expectedCommitId`: another indexer got there first.
   */
  async apply(update: IndexUpdate): Promise<boolean> {
    return inTransaction(this.db, async (trx) => {
      const current = await trx
        .selectFrom('search_heads')
        .select(['commit_id', 'repo_path'])
        .where('repo_id', '=', update.repoId)
        .$if(this.capabilities.rowLocks, (query) => query.forUpdate())
        .executeTakeFirst();
      if (update.expectedCommitId !== undefined) {
        const recorded = current && current.repo_path === update.repoPath ? current.commit_id : null;
        if (recorded !== update.expectedCommitId) return false;
      }
      if (update.replaceAll) await this.removeAll(trx, update.repoId);
      else await this.removePaths(trx, update.repoId, [...update.remove, ...update.add.map((f) => f.path)]);
      const refused = await this.insertFiles(trx, update.repoId, update.add);
      const skipped = [...update.skipped, ...refused];
      const files = await trx
        .selectFrom('search_files')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('repo_id', '=', update.repoId)
        .executeTakeFirstOrThrow();
      const row = {
        repo_path: update.repoPath,
        head_ref: update.headRef,
        commit_id: update.commitId,
        files: Number(files.n),
        skipped: skipped.length,
        skipped_detail: JSON.stringify(skipped),
        indexed_at: nowTimestamp(),
      };
      if (current) {
        await trx.updateTable('search_heads').set(row).where('repo_id', '=', update.repoId).execute();
      } else {
        await trx
          .insertInto('search_heads')
          .values({ repo_id: update.repoId, ...row })
          .execute();
      }
      return true;
    });
  }

  /**
   * The stored size of each of `ids` the repository holds (absent ids left out), in one query
   * per batch: the indexer leaves big files out before inflating anything.
   */
  async blobSizes(repoId: number, ids: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const batch of batchIds(ids, this.capabilities, 1)) {
      const rows = await this.db
        .selectFrom('raw_objects')
        .innerJoin('repository_objects', 'repository_objects.git_id', 'raw_objects.git_id')
        .select(['raw_objects.git_id', 'raw_objects.size'])
        .where('repository_objects.repo_id', '=', repoId)
        .where('raw_objects.git_id', 'in', batch)
        .execute();
      for (const row of rows) sizes.set(row.git_id, Number(row.size));
    }
    return sizes;
  }

  /** Removes a repository from the index (deleted repositories, `mega search reindex`). */
  async forget(repoId: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await this.removeAll(trx, repoId);
      await trx.deleteFrom('search_heads').where('repo_id', '=', repoId).execute();
    });
  }

  /** Candidate files in id order, at most `limit`, after `afterId`. */
  async candidates(query: CandidateQuery): Promise<CandidateFile[]> {
    if (query.repoIds.length === 0) return [];
    const literals = query.literals.filter((literal) => literal.length >= 3);
    const prefix = query.pathPrefix ? `${escapeLike(query.pathPrefix)}%` : undefined;
    const repoIds = [...query.repoIds];
    if (this.capabilities.trigramIndex === 'fts5') {
      let select = this.db
        .selectFrom('search_files as f')
        .innerJoin('search_fts as s', 's.rowid', 'f.id')
        .select(['f.id', 'f.repo_id', 'f.path', 's.content'])
        .where('f.repo_id', 'in', repoIds)
        .where('f.id', '>', query.afterId);
      if (literals.length > 0) select = select.where(sql<boolean>`search_fts match ${ftsPhrases(literals)}`);
      if (prefix) select = select.where(sql<boolean>`f.path like ${prefix} escape '!'`);
      const rows = await select.orderBy('f.id').limit(query.limit).execute();
      return rows.map((row) => candidateOf(row.id, row.repo_id, row.path, row.content));
    }
    if (this.capabilities.trigramIndex === 'pg_trgm' && literals.length > 0 && !this.db.isTransaction) {
      return this.postgresCandidates(query, literals, prefix);
    }
    let select = this.db
      .selectFrom('search_files')
      .select(['id', 'repo_id', 'path', 'content'])
      .where('repo_id', 'in', repoIds)
      .where('id', '>', query.afterId);
    if (literals.length > 0) {
      if (this.capabilities.trigramIndex === 'pg_trgm') {
        for (const literal of literals) select = select.where(ilike(literal));
      } else {
        select = select.where(
          sql<boolean>`match (trigrams) against (${trigramQuery(literals)} in boolean mode)`,
        );
      }
    }
    if (prefix) select = select.where(sql<boolean>`path like ${prefix} escape '!'`);
    const rows = await select.orderBy('id').limit(query.limit).execute();
    return rows.map((row) => candidateOf(row.id, row.repo_id, row.path, row.content ?? ''));
  }

  /**
   * PostgreSQL's planner cannot tell a common literal from a rare one here (LIKE over TOASTed
   * text is priced as cheap and the column has no useful statistics), and each wrong guess costs
   * a read of every file: a sequential scan (1.2 s where the index answers in 1.4 ms on 20,000
   * files), or rechecking every GIN candidate of a common word before sorting them. So the plan
   * is chosen here: first the next `PROBE_WINDOW` ids in key order (a common literal fills the
   * page there, having read at most that many files); only when the window falls short, the
   * trigram index alone (key conditions written as `+ 0` so no other index can stand in), whose
   * candidates for a rarer literal are few.
   */
  private async postgresCandidates(
    query: CandidateQuery,
    literals: readonly string[],
    prefix: string | undefined,
  ): Promise<CandidateFile[]> {
    const repoIds = [...query.repoIds];
    const rows = await this.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const base = (byKey: boolean) => {
        let select = trx.selectFrom('search_files').select(['id', 'repo_id', 'path', 'content']);
        select = byKey
          ? select.where('repo_id', 'in', repoIds)
          : select.where(sql<boolean>`repo_id + 0 in (${sql.join(repoIds)})`);
        for (const literal of literals) select = select.where(ilike(literal));
        if (prefix) select = select.where(sql<boolean>`path like ${prefix} escape '!'`);
        return select;
      };
      await sql`set local enable_bitmapscan = off`.execute(trx);
      const probe = await base(true)
        .where('id', '>', query.afterId)
        .where('id', '<=', query.afterId + PROBE_WINDOW)
        .orderBy('id')
        .limit(query.limit)
        .execute();
      if (probe.length >= query.limit) return probe;
      await sql`set local enable_bitmapscan = on`.execute(trx);
      await sql`set local enable_indexscan = off`.execute(trx);
      const rest = await base(false)
        .where(sql<boolean>`id + 0 > ${query.afterId + PROBE_WINDOW}`)
        .orderBy('id')
        .limit(query.limit - probe.length)
        .execute();
      return [...probe, ...rest];
    });
    return rows.map((row) => candidateOf(row.id, row.repo_id, row.path, row.content ?? ''));
  }

  private async removeAll(trx: Kysely<Database>, repoId: number): Promise<void> {
    if (this.capabilities.trigramIndex === 'fts5') {
      await trx
        .deleteFrom('search_fts')
        .where('rowid', 'in', (eb) =>
          eb.selectFrom('search_files').select('id').where('repo_id', '=', repoId),
        )
        .execute();
    }
    await trx.deleteFrom('search_files').where('repo_id', '=', repoId).execute();
  }

  private async removePaths(trx: Kysely<Database>, repoId: number, paths: readonly string[]): Promise<void> {
    for (const batch of batchIds(paths, this.capabilities, 1)) {
      if (this.capabilities.trigramIndex === 'fts5') {
        await trx
          .deleteFrom('search_fts')
          .where('rowid', 'in', (eb) =>
            eb
              .selectFrom('search_files')
              .select('id')
              .where('repo_id', '=', repoId)
              .where('path', 'in', batch),
          )
          .execute();
      }
      await trx.deleteFrom('search_files').where('repo_id', '=', repoId).where('path', 'in', batch).execute();
    }
  }

  /** Inserts the rows (and their trigram words or FTS rows); returns the files refused. */
  private async insertFiles(
    trx: Kysely<Database>,
    repoId: number,
    files: readonly IndexedFile[],
  ): Promise<SkippedFile[]> {
    const refused: SkippedFile[] = [];
    if (this.capabilities.trigramIndex === 'fts5') {
      // One file at a time: the FTS row needs the file row's id (in-process, so cheap).
      for (const file of files) {
        const row = await trx
          .insertInto('search_files')
          .values({ repo_id: repoId, path: file.path, blob_id: file.blobId, size: file.size, content: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('search_fts').values({ rowid: row.id, content: file.content }).execute();
      }
      return refused;
    }
    const words = this.capabilities.trigramIndex === 'fulltext_words';
    const rows: Array<{
      repo_id: number;
      path: string;
      blob_id: string;
      size: number;
      content: string;
      content_folded?: string;
      trigrams?: string;
    }> = [];
    for (const file of files) {
      const row = {
        repo_id: repoId,
        path: file.path,
        blob_id: file.blobId,
        size: file.size,
        content: file.content,
      };
      if (!words) {
        rows.push(
          this.capabilities.trigramIndex === 'pg_trgm'
            ? { ...row, content_folded: file.content.toLowerCase() }
            : row,
        );
        continue;
      }
      const trigrams = trigramWords(file.content);
      if (trigrams.size > MAX_TRIGRAM_WORDS) refused.push({ path: file.path, reason: 'too_many_trigrams' });
      else rows.push({ ...row, trigrams: [...trigrams].join(' ') });
    }
    const bytesOf = (row: (typeof rows)[number]) =>
      Buffer.byteLength(row.content) * (row.content_folded === undefined ? 1 : 2) +
      (row.trigrams?.length ?? 0) +
      row.path.length * 4;
    for (const batch of batchRows(rows, this.capabilities, 7, bytesOf)) {
      await trx.insertInto('search_files').values(batch).execute();
    }
    return refused;
  }
}

function headOf(row: {
  repo_id: number | string;
  repo_path: string;
  head_ref: string;
  commit_id: string | null;
  files: number | string;
  skipped_detail: string | null;
  indexed_at: string;
}): SearchHead {
  return {
    repoId: Number(row.repo_id),
    repoPath: row.repo_path,
    headRef: row.head_ref,
    commitId: row.commit_id,
    files: Number(row.files),
    skipped: row.skipped_detail ? (JSON.parse(row.skipped_detail) as SkippedFile[]) : [],
    indexedAt: row.indexed_at,
  };
}

function candidateOf(
  id: number | string,
  repoId: number | string,
  path: string,
  content: string,
): CandidateFile {
  return { id: Number(id), repoId: Number(repoId), path, content };
}

/** Ids PostgreSQL reads in key order before it turns to the trigram index (see `postgresCandidates`). */
const PROBE_WINDOW = 300;

/**
 * `content` holds `literal`, case-insensitively (PostgreSQL): LIKE on the lower-cased copy, which
 * the `gin_trgm_ops` index serves; both sides are folded by `toLowerCase` here, so they agree.
 */
function ilike(literal: string) {
  return sql<boolean>`content_folded like ${`%${escapeLike(literal.toLowerCase())}%`} escape '!'`;
}

/** `literal` as a LIKE pattern matching itself, with `!` as the escape character. */
function escapeLike(literal: string): string {
  return literal.replace(/[!%_]/g, (char) => `!${char}`);
}

/** An FTS5 query requiring every literal as a substring (`"…"` phrases, quotes doubled). */
function ftsPhrases(literals: readonly string[]): string {
  return literals.map((literal) => `"${literal.replaceAll('"', '""')}"`).join(' AND ');
}
