import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { TokenInfoSchema, UserSchema } from './api-schemas.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  const user = await fixture.storage.users.createUser({ username: 'alice' });
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
    expect(me.json()).toMatchObject({ username: 'alice', isAdmin: false });
    expect(UserSchema.safeParse(me.json()).success).toBe(true);
    expect((await app.inject({ url: '/api/v1/user' })).statusCode).toBe(401);
    const bad = await app.inject({ url: '/api/v1/user', headers: auth('mega_nope') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('token_invalid');
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
    expect(list.json().tokens.map((t: { name: string }) => t.name)).toEqual(['bootstrap', 'ci']);
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
      ['POST', '/api/v1/user/tokens', { name: 'x', expires_at: 'tomorrow' }, 400, 'body_invalid'],
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
      expect({ url, status: response.statusCode, code: response.json().error.code }).toEqual({
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
    expect(Object.keys(malformed.json().error).sort()).toEqual(['code', 'details', 'message']);
  });
});
