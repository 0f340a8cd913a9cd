import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openInstallation } from '../../src/cli/app.js';
import { parseSecretKey } from '../../src/platform/deployment-secret.js';
import { createLogger } from '../../src/platform/logger.js';
import { createStorage } from '../../src/storage/storage.js';
import { CredentialVault } from '../../src/sync/credential-vault.js';
import { SecretBox } from '../../src/platform/secret-box.js';
import { startSyncRuntime } from '../../src/sync/sync-runtime.js';
import { sealAsV1 } from './support/legacy-seal.js';
import { startHarness, type Harness } from './support/sync-harness.js';

/**
 * An installation upgraded from before key derivation keeps its `secret.key` and rows sealed
 * with that key itself (`v1`). Starting the sync runtime seals them again with the derived key.
 */
describe('credentials sealed before key derivation', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('still open, and are sealed again with the derived key at start', async () => {
    h = await startHarness();
    const harness = h;
    const master = parseSecretKey(readFileSync(join(harness.config.dataDir, 'secret.key'), 'utf8'));
    const added = await harness.runtime.service.addCredential(harness.tenantId, {
      name: 'old',
      type: 'token',
      username: 'alice',
      secret: 'placeholder',
      known_host: null,
    });
    const storage = createStorage(harness.database, harness.config);
    const legacy = sealAsV1(master, 'ghp_old-token', `sync_credentials:${added.id}`);
    await storage.sync.config.updateCredential(harness.tenantId, added.id, { secret_sealed: legacy });
    // One that no key opens (sealed by another installation's secret) is left alone.
    const foreign = await harness.runtime.service.addCredential(harness.tenantId, {
      name: 'foreign',
      type: 'token',
      username: 'bob',
      secret: 'placeholder',
      known_host: null,
    });
    const foreignSealed = sealAsV1(Buffer.alloc(32, 7), 'x', `sync_credentials:${foreign.id}`);
    await storage.sync.config.updateCredential(harness.tenantId, foreign.id, {
      secret_sealed: foreignSealed,
    });

    const warnings: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        warnings.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    const installation = await openInstallation(storage, harness.config);
    const restarted = await startSyncRuntime({
      config: harness.config,
      storage,
      logger,
      secret: installation.secret,
      redisPrefix: installation.redisPrefix,
    });
    await restarted.close();

    const row = await storage.sync.config.credentialWithSecret(added.id);
    expect(row?.secret_sealed.startsWith('v2.')).toBe(true);
    expect(new CredentialVault(SecretBox.of(installation.secret)).open(row!).secret).toBe('ghp_old-token');
    expect((await storage.sync.config.credentialWithSecret(foreign.id))?.secret_sealed).toBe(foreignSealed);
    expect(warnings.join('')).toContain(`"credentialId":${foreign.id}`);
    expect(warnings.join('')).not.toContain('ghp_old-token');
    expect(warnings.join('')).not.toContain(master.toString('hex'));
  });
});
