import type { Generated } from 'kysely';

/** Row types of the tables created by `migrations/0014-ssh-keys.ts`. */
export interface SshKeysTable {
  id: Generated<number>;
  fingerprint: string;
  key_type: string;
  /** The key blob, base64. */
  public_key: string;
  bits: number;
  title: string;
  user_id: number | null;
  deploy_path: string | null;
  deploy_write: number;
  created_by: number;
  created_at: string;
  last_used_at: string | null;
}

export interface SshHostKeysTable {
  algorithm: string;
  sealed_key: string;
  created_at: string;
}

export interface SshTables {
  ssh_keys: SshKeysTable;
  ssh_host_keys: SshHostKeysTable;
}
