import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { UserStore } from '../user-store.js';
import { SshKeyStore } from './ssh-key-store.js';

describeEachDialect('ssh keys', (getDb) => {
  const keys = () => new SshKeyStore(getDb().database.db, getDb().database.capabilities);
  const users = () => new UserStore(getDb().database.db, getDb().database.capabilities);
  let serial = 0;
  const newKey = (title = 'laptop') => {
    serial += 1;
    return {
      fingerprint: `SHA256:${'f'.repeat(40)}${serial}`,
      type: 'ssh-ed25519',
      publicKey: Buffer.alloc(51, serial).toString('base64'),
      bits: 256,
      title,
    };
  };

  it('adds, finds, lists and removes a user key', async () => {
    const ana = await users().createUser({ username: 'ana' });
    const key = newKey();
    const added = await keys().add({ ...key, owner: { kind: 'user', userId: ana.id }, createdBy: ana.id });
    expect(added).toMatchObject({
      title: 'laptop',
      owner: { kind: 'user', userId: ana.id },
      lastUsedAt: null,
    });
    const found = await keys().findByFingerprint(key.fingerprint);
    expect(found?.actsAs).toEqual({ id: ana.id, username: 'ana', isAdmin: false });
    await keys().touch(found!);
    expect((await keys().listForUser(ana.id))[0]?.lastUsedAt).not.toBeNull();
    const bob = await users().createUser({ username: 'bob' });
    await expect(keys().removeUserKey(bob.id, added.id)).rejects.toMatchObject({ code: 'ssh_key_not_found' });
    await keys().removeUserKey(ana.id, added.id);
    expect(await keys().findByFingerprint(key.fingerprint)).toBeUndefined();
  });

  it('a fingerprint has one owner across users and deploy keys', async () => {
    const carol = await users().createUser({ username: 'carol' });
    const key = newKey();
    await keys().add({ ...key, owner: { kind: 'user', userId: carol.id }, createdBy: carol.id });
    await expect(
      keys().add({ ...key, owner: { kind: 'deploy', path: '/import/x', write: false }, createdBy: carol.id }),
    ).rejects.toMatchObject({ code: 'ssh_key_exists', kind: 'conflict' });
  });

  it('deploy keys act as the user who added them, on one path', async () => {
    const dave = await users().createUser({ username: 'dave', isAdmin: true });
    const key = newKey('ci');
    const added = await keys().add({
      ...key,
      owner: { kind: 'deploy', path: '/projects/app', write: true },
      createdBy: dave.id,
    });
    expect(added.owner).toEqual({ kind: 'deploy', path: '/projects/app', write: true });
    expect((await keys().findByFingerprint(key.fingerprint))?.actsAs.username).toBe('dave');
    expect((await keys().listDeployKeys('/projects/app')).map((k) => k.id)).toEqual([added.id]);
    expect(await keys().listDeployKeys('/projects/other')).toEqual([]);
    expect((await keys().findDeployKey(added.id))?.title).toBe('ci');
    expect(await keys().listForUser(dave.id)).toEqual([]);
    await keys().removeDeployKey(added.id);
    await expect(keys().removeDeployKey(added.id)).rejects.toMatchObject({ code: 'ssh_key_not_found' });
  });

  it("a deleted user's keys, and the deploy keys they added, match nothing", async () => {
    const gone = await users().createUser({ username: 'gone' });
    const own = newKey();
    const deploy = newKey();
    await keys().add({ ...own, owner: { kind: 'user', userId: gone.id }, createdBy: gone.id });
    await keys().add({
      ...deploy,
      owner: { kind: 'deploy', path: '/import/x', write: false },
      createdBy: gone.id,
    });
    await getDb().database.db.deleteFrom('users').where('id', '=', gone.id).execute();
    expect(await keys().findByFingerprint(own.fingerprint)).toBeUndefined();
    expect(await keys().findByFingerprint(deploy.fingerprint)).toBeUndefined();
  });

  it('refuses empty and long titles', async () => {
    const erin = await users().createUser({ username: 'erin' });
    for (const title of [' ', 't'.repeat(256)]) {
      await expect(
        keys().add({ ...newKey(title), owner: { kind: 'user', userId: erin.id }, createdBy: erin.id }),
      ).rejects.toMatchObject({ code: 'ssh_key_title_invalid' });
    }
  });

  it('keeps the first host key claimed', async () => {
    const claims = await Promise.all(
      ['a', 'b', 'c'].map((value) => keys().claimHostKey('ssh-rsa', () => value)),
    );
    expect(new Set(claims).size).toBe(1);
    expect(await keys().claimHostKey('ssh-rsa', () => 'later')).toBe(claims[0]);
  });
});
