import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { InstallationStore } from './installation-store.js';

describeEachDialect('installation settings', (getDb) => {
  const store = () => new InstallationStore(getDb().database.db, getDb().database.capabilities);

  it('keeps the first value claimed; concurrent claims agree on one', async () => {
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((value) => store().claim('secret_fingerprint', value.repeat(32))),
    );
    expect(new Set(claims).size).toBe(1);
    expect(await store().claim('secret_fingerprint', 'e'.repeat(32))).toBe(claims[0]);
  });

  it('generates the installation id once', async () => {
    const id = await store().installationId();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(await store().installationId()).toBe(id);
  });
});
