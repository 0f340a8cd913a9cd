import type { CredentialRow } from '../storage/sync/sync-config-store.js';
import type { GitCredential } from './git-auth.js';
import type { SecretBox } from './secret-box.js';

/**
 * Seals and opens credential secrets. The associated data names the row, so a sealed secret
 * copied onto another credential fails to open instead of being used for the wrong remote.
 */
export class CredentialVault {
  constructor(private readonly box: SecretBox) {}

  seal(credentialId: number, secret: string): string {
    return this.box.seal(secret, associatedData(credentialId));
  }

  /** Decrypts just before a git process needs it; the result must not outlive that process. */
  open(row: CredentialRow): GitCredential {
    const secret = this.box.open(row.secret_sealed, associatedData(row.id));
    return row.type === 'ssh_key'
      ? { type: 'ssh_key', username: row.username, secret, knownHost: row.known_host }
      : { type: row.type, username: row.username, secret };
  }
}

function associatedData(credentialId: number): string {
  return `sync_credentials:${credentialId}`;
}
