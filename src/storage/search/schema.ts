import type { Generated } from 'kysely';

/** Row types of the tables added by `migrations/0013-search.ts` (see the reasons there). */
export interface SearchHeadsTable {
  repo_id: number;
  /** The repository's path when it was indexed: a reused id with another path is not trusted. */
  repo_path: string;
  head_ref: string;
  /** The default branch's commit the index reflects; null when the branch did not exist. */
  commit_id: string | null;
  files: number;
  skipped: number;
  /** JSON: `[{path, reason}]`, the first skipped files (binary, too large). */
  skipped_detail: string | null;
  indexed_at: string;
}

export interface SearchFilesTable {
  id: Generated<number>;
  repo_id: number;
  path: string;
  blob_id: string;
  size: number;
  /** The file's text (null on SQLite, whose FTS5 table `search_fts` holds it). */
  content: string | null;
  /** PostgreSQL only: `content` lower-cased (by the server, as queries are), under the GIN index. */
  content_folded?: string | null;
  /** MariaDB/MySQL only: the distinct trigrams as hex words, under a FULLTEXT index. */
  trigrams?: string | null;
}

/** The FTS5 table of SQLite (`trigram` tokenizer); its rowid is `search_files.id`. */
export interface SearchFtsTable {
  rowid: number;
  content: string;
}

export interface SearchTables {
  search_heads: SearchHeadsTable;
  search_files: SearchFilesTable;
  search_fts: SearchFtsTable;
}
