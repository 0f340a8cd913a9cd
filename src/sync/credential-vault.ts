import type { Logger } from '../platform/logger.js';
import type { CredentialRow, SyncConfigStore } from '../storage/sync/sync-config-store.js';
import type { GitCredential } from './git-auth.js';
import { SecretBox } from '../platform/secret-box.js';

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

  /**
   * Seals again, with today's derived key, the secrets sealed before key derivation (`v1`), so
   * an upgraded installation keeps its credentials and the old format dies out. Each row is
   * replaced only if unchanged, so processes starting together do not overwrite a newer secret.
   * A row that does not open is left as it is and named (by id) in a warning: it fails when used,
   * as it did before. Returns how many were sealed again.
   */
  async resealLegacy(store: SyncConfigStore, logger: Logger): Promise<number> {
    let count = 0;
    for (const row of await store.credentialsSealedAs(SecretBox.legacyPrefix)) {
      let secret: string;
      try {
        secret = this.box.open(row.secret_sealed, associatedData(row.id));
      } catch {
        logger.warn({ credentialId: row.id }, 'a stored credential does not open with the deployment secret');
        continue;
      }
      if (await store.replaceSealedSecret(row.id, row.secret_sealed, this.seal(row.id, secret))) count += 1;
    }
    return count;
  }
}

function associatedData(credentialId: number): string {
  return `sync_credentials:${credentialId}`;
}
