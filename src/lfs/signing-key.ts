import type { DeploymentSecret } from '../platform/deployment-secret.js';

/** HKDF label of the transfer-token key; v2 since the key is derived from the parsed secret. */
const HKDF_INFO = 'mega lfs transfer token v2';

/**
 * The key that signs transfer tokens, derived from the deployment secret (`MEGA_SECRET_KEY`, its
 * key file, or the data directory's `secret.key`), so tokens from one server work on all that
 * share the secret. Tokens are short-lived: those signed before an upgrade simply expire.
 */
export function transferSigningKey(secret: DeploymentSecret): Buffer {
  return secret.derive(HKDF_INFO);
}
