import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { invalid } from '../../platform/errors.js';
import type { Database } from '../database.js';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { DbBlobStore } from './db-blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import type { LfsBlobStore } from './lfs-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

/** What building a store from its spec may need: the data directory and the database. */
export interface LfsBlobStoreContext {
  readonly dataDir: string;
  readonly db: Kysely<Database>;
  readonly capabilities: DialectCapabilities;
}

/**
 * The blob store a `MEGA_LFS_STORE` spec names:
 * - unset, `file` or `file:DIR` — files under DIR (default `<dataDir>/lfs`, every earlier
 *   version's layout);
 * - `db` — chunk rows in the database;
 * - `s3://BUCKET[/PREFIX]?endpoint=URL&region=R&pathStyle=true|false` — S3-compatible storage,
 *   credentials from the AWS SDK's default chain (`AWS_ACCESS_KEY_ID`, …). With an `endpoint`,
 *   path-style addressing is the default (MinIO, Garage, Ceph).
 * Throws `lfs_store_invalid` for anything else.
 */
export function openLfsBlobStore(spec: string | undefined, context: LfsBlobStoreContext): LfsBlobStore {
  const text = (spec ?? '').trim();
  if (text === '' || text === 'file') return new FileBlobStore(join(context.dataDir, 'lfs'));
  if (text.startsWith('file:')) {
    const dir = text.slice('file:'.length);
    if (dir === '') throw storeInvalid(text, 'file: needs a directory');
    return new FileBlobStore(resolve(dir));
  }
  if (text === 'db') return new DbBlobStore(context.db, context.capabilities);
  if (text.startsWith('s3://')) return new S3BlobStore(parseS3Spec(text));
  throw storeInvalid(text, 'expected file:DIR, db or s3://BUCKET');
}

/** `s3://bucket/prefix?endpoint=…&region=…&pathStyle=…` → the store's options. */
export function parseS3Spec(text: string): S3BlobStoreOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw storeInvalid(text, 'not a URL');
  }
  const bucket = url.hostname;
  if (bucket === '') throw storeInvalid(text, 's3:// needs a bucket name');
  if (url.username || url.password) {
    // Credentials in a spec would end up in logs: they come from the AWS_* variables only.
    throw invalid(
      'lfs_store_invalid',
      'MEGA_LFS_STORE must not contain credentials: use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY',
    );
  }
  const known = new Set(['endpoint', 'region', 'pathStyle']);
  for (const name of url.searchParams.keys()) {
    if (!known.has(name)) throw storeInvalid(text, `unknown parameter ${name}`);
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw storeInvalid(text, 'endpoint must be an http(s) URL');
  }
  const pathStyle = url.searchParams.get('pathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') {
    throw storeInvalid(text, 'pathStyle must be true or false');
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\/*$/, '');
  const region = url.searchParams.get('region') ?? undefined;
  return {
    bucket,
    prefix: prefix === '' ? '' : `${prefix}/`,
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
  };
}

function storeInvalid(spec: string, reason: string) {
  // The spec carries no secret (credentials are refused above), so it may be shown.
  return invalid('lfs_store_invalid', `invalid MEGA_LFS_STORE: ${reason}`, {
    store: spec.replace(/\/\/[^@/]*@/, '//'),
  });
}
