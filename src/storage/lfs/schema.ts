import type { Generated } from 'kysely';

/**
 * Row types of the LFS tables added by `migrations/0003-lfs.ts` (`lfs_objects` itself is a core
 * table). `repo_key` / `path_key` are lowercase hex sha256 of the repository path / file path.
 */
export interface LfsRepositoryObjectsTable {
  repo_key: string;
  oid: string;
  repo_path: string;
  created_at: string;
}

export interface LfsFileLocksTable {
  id: Generated<number>;
  repo_key: string;
  repo_path: string;
  path_key: string;
  path: string;
  ref_name: string | null;
  owner_id: number;
  owner_name: string;
  locked_at: string;
}

/** `migrations/0009-lfs-blobs.ts`: LFS contents in the database (`db-blob-store.ts`). */
export interface LfsBlobsTable {
  oid: string;
  blob_id: string;
  size: number | string;
  chunk_bytes: number;
  created_at: string;
}

export interface LfsBlobChunksTable {
  blob_id: string;
  seq: number;
  data: Uint8Array;
}

export interface LfsBlobUploadsTable {
  blob_id: string;
  started_at: string;
}

export interface LfsTables {
  lfs_repository_objects: LfsRepositoryObjectsTable;
  lfs_file_locks: LfsFileLocksTable;
  lfs_blobs: LfsBlobsTable;
  lfs_blob_chunks: LfsBlobChunksTable;
  lfs_blob_uploads: LfsBlobUploadsTable;
}
