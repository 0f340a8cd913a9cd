import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { TokenInfoSchema, UserSchema } from './api-schemas.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import type { Storage } from '../../storage/storage.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let token: string;
let storage: Storage;
let aliceId: number;

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  storage = fixture.storage;
  const user = await fixture.storage.users.createUser({ username: 'alice' });
  aliceId = user.id;
  token = (await fixture.storage.users.createToken(user.id, 'bootstrap')).token;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const auth = (value: string) => ({ authorization: `Bearer ${value}` });

describe('user and token API', () => {
  it('answers who is signed in, and 401 for anonymous or unknown tokens', async () => {
    const me = await app.inject({ url: '/api/v1/user', headers: auth(token) });
    expect(me.json()).toMatchObject({ username: 'alice', isAdmin: false, scopes: ['read', 'write'] });
    expect(UserSchema.safeParse(me.json()).success).toBe(true);
    expect((await app.inject({ url: '/api/v1/user' })).statusCode).toBe(401);
    const bad = await app.inject({ url: '/api/v1/user', headers: auth('mega_nope') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('token_invalid');
  });

  it('creates, lists and revokes tokens; the plaintext appears only once', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/user/tokens',
      headers: auth(token),
      payload: { name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const { token: second, info } = created.json();
    expect(second).toMatch(/^mega_/);
    // The shape the route declares (and the OpenAPI document shows).
    expect(TokenInfoSchema.safeParse(info).error).toBeUndefined();
    const list = await app.inject({ url: '/api/v1/user/tokens', headers: auth(second) });
    expect(list.json().items.map((t: { name: string }) => t.name)).toEqual(['bootstrap', 'ci']);
    expect(list.body).not.toContain(second);
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/api/v1/user/tokens/${info.id}`,
      headers: auth(token),
    });
    expect(revoked.statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/user', headers: auth(second) })).statusCode).toBe(401);
  });

  it('refuses bad bodies and ids', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/v1/user/tokens', { name: '' }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x'.repeat(101) }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x', expiresInDays: 'tomorrow' }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x', expiresInDays: 0 }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x', expiresInDays: 3651 }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x', scopes: [] }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', { name: 'x', scopes: ['root'] }, 400, 'body_invalid'],
      ['POST', '/api/v1/user/tokens', undefined, 400, 'body_invalid'],
      ['DELETE', '/api/v1/user/tokens/abc', undefined, 400, 'path_invalid'],
      ['DELETE', '/api/v1/user/tokens/-1', undefined, 400, 'path_invalid'],
      ['DELETE', '/api/v1/user/tokens/99999', undefined, 404, 'token_not_found'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const response = await app.inject({
        method: method as 'POST',
        url,
        headers: auth(token),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      expect({ url, status: response.statusCode, code: response.json().code }).toEqual({
        url,
        status,
        code,
      });
    }
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/user/tokens',
      headers: { ...auth(token), 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(Object.keys(malformed.json()).sort()).toEqual([
      'code',
      'detail',
      'instance',
      'status',
      'title',
      'type',
    ]);
  });
});

describe('token scopes and expiry', () => {
  const create = (caller: string, payload: object) =>
    app.inject({ method: 'POST', url: '/api/v1/user/tokens', headers: auth(caller), payload });

  it('creates tokens with scopes and an expiry, and lists them', async () => {
    const created = await create(token, { name: 'ro', scopes: ['read'], expiresInDays: 7 });
    expect(created.statusCode).toBe(201);
    const { info } = created.json();
    expect(info.scopes).toEqual(['read']);
    const days = (Date.parse(info.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    const plain = await create(token, { name: 'default' });
    expect(plain.json().info).toMatchObject({ scopes: ['read', 'write'], expiresAt: null });
    const list = await app.inject({ url: '/api/v1/user/tokens', headers: auth(token) });
    const listed = list.json().items.find((entry: { id: number }) => entry.id === info.id);
    expect(listed).toMatchObject({
      name: 'ro',
      scopes: ['read'],
      expiresAt: info.expiresAt,
      lastUsedAt: null,
    });
    const bootstrap = list.json().items.find((entry: { name: string }) => entry.name === 'bootstrap');
    expect(bootstrap.lastUsedAt).not.toBeNull();
  });

  it('refuses a token that would have scopes the calling token lacks', async () => {
    const readOnly = (await create(token, { name: 'reader', scopes: ['read'] })).json().token as string;
    const wider = await create(readOnly, { name: 'wider', scopes: ['read', 'write'] });
    expect({
      status: wider.statusCode,
      code: wider.json().code,
      missing: wider.json().missing,
    }).toEqual({
      status: 403,
      code: 'scope_insufficient',
      missing: ['write'],
    });
    // Nor by default, which is read,write.
    expect((await create(readOnly, { name: 'default' })).statusCode).toBe(403);
    expect((await create(readOnly, { name: 'same', scopes: ['read'] })).statusCode).toBe(201);
    const admin = await create(token, { name: 'admin', scopes: ['admin'] });
    expect(admin.json().code).toBe('scope_insufficient');
  });

  it('answers 401 token_invalid for an expired token', async () => {
    const expired = await storage.users.createToken(aliceId, 'old', {
      expiresAt: new Date(Date.now() - 1000),
    });
    const response = await app.inject({ url: '/api/v1/user', headers: auth(expired.token) });
    expect({ status: response.statusCode, code: response.json().code }).toEqual({
      status: 401,
      code: 'token_invalid',
    });
  });
});
