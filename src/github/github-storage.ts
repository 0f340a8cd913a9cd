import type { Storage } from '../storage/storage.js';

/**
 * What the GitHub area uses of storage: its own stores (`storage.github`), repositories and refs
 * (an /import repository and its `refs/pull/N/head`), the sync configuration (credentials, mirrored
 * repositories for automatic links, leases for the poll schedule) and transactions.
 */
export type GithubStorage = Pick<
  Storage,
  'github' | 'repositories' | 'refs' | 'objects' | 'sync' | 'transaction'
>;
