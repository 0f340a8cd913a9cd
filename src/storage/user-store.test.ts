import { expect, it } from 'vitest';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { UserStore } from './user-store.js';

describeEachDialect('users and tokens', (getDb) => {
  const store = () => new UserStore(getDb().database.db, getDb().database.capabilities);

  it('creates a token, stores only its hash, and authenticates with it', async () => {
    const users = store();
    const user = await users.createUser({ username: 'alice', isAdmin: true });
    const { token, info } = await users.createToken(user.id, 'laptop');
    expect(token).toMatch(/^mega_[A-Za-z0-9_-]{43}$/);
    const rows = await getDb().database.db.selectFrom('access_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(await users.authenticate(token)).toMatchObject({ username: 'alice', isAdmin: true });
    expect((await users.listTokens(user.id))[0]?.lastUsedAt).not.toBeNull();
    expect(info.name).toBe('laptop');
  });

  it('rejects unknown, malformed, expired and revoked tokens', async () => {
    const users = store();
    const user = await users.createUser({ username: 'bob' });
    expect(await users.authenticate('mega_nope')).toBeUndefined();
    expect(await users.authenticate('')).toBeUndefined();
    expect(await users.authenticate('x'.repeat(10_000))).toBeUndefined();
    const expired = await users.createToken(user.id, 'old', { expiresAt: new Date(Date.now() - 1000) });
    expect(await users.authenticate(expired.token)).toBeUndefined();
    const live = await users.createToken(user.id, 'live');
    expect((await users.authenticate(live.token))?.isAdmin).toBe(false);
    await users.revokeToken(user.id, live.info.id);
    expect(await users.authenticate(live.token)).toBeUndefined();
  });

  it('refuses duplicate and invalid user names', async () => {
    const users = store();
    await users.createUser({ username: 'carol' });
    await expect(users.createUser({ username: 'carol' })).rejects.toMatchObject({ code: 'user_exists' });
    await expect(users.createUser({ username: '../x' })).rejects.toMatchObject({ code: 'invalid_username' });
    await expect(users.createUser({ username: 'x'.repeat(65) })).rejects.toMatchObject({
      code: 'invalid_username',
    });
    await expect(users.createUser({ username: 'dave', email: `${'e'.repeat(300)}@x` })).rejects.toMatchObject(
      {
        code: 'invalid_email',
      },
    );
    const user = await users.createUser({ username: 'erin' });
    await expect(users.createToken(user.id, 'n'.repeat(101))).rejects.toMatchObject({
      code: 'invalid_token_name',
    });
  });
});
