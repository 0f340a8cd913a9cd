import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  const root = await fixture.storage.users.createUser({ username: 'root', isAdmin: true });
  tokens.root = (
    await fixture.storage.users.createToken(root.id, 't', { scopes: ['read', 'write', 'admin'] })
  ).token;
  // An administrator's token without the admin scope does not act as administrator.
  tokens.rootRead = (
    await fixture.storage.users.createToken(root.id, 't', { scopes: ['read', 'write'] })
  ).token;
  const dave = await fixture.storage.users.createUser({ username: 'dave' });
  tokens.dave = (
    await fixture.storage.users.createToken(dave.id, 't', { scopes: ['read', 'write', 'admin'] })
  ).token;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const call = (as: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[as]}` },
    ...(payload ? { payload } : {}),
  });

describe('groups API', () => {
  it('creates groups, manages members and deletes them (site administrators only)', async () => {
    const created = await call('root', 'POST', '/api/v1/groups', { name: 'devs' });
    expect({ status: created.statusCode, body: created.json() }).toEqual({
      status: 201,
      body: { name: 'devs', members: [] },
    });
    const added = await call('root', 'PUT', '/api/v1/groups/devs/members/dave');
    expect(added.json()).toEqual({ name: 'devs', members: ['dave'] });
    expect((await call('root', 'PUT', '/api/v1/groups/devs/members/dave')).statusCode).toBe(200);
    expect((await call('root', 'GET', '/api/v1/groups')).json()).toEqual({
      items: [{ name: 'devs', members: ['dave'] }],
    });
    expect((await call('root', 'DELETE', '/api/v1/groups/devs/members/dave')).statusCode).toBe(204);
    expect((await call('root', 'DELETE', '/api/v1/groups/devs')).statusCode).toBe(204);
    expect((await call('root', 'GET', '/api/v1/groups')).json()).toEqual({ items: [] });
  });

  it('answers exact codes for refusals and unknown names', async () => {
    await call('root', 'POST', '/api/v1/groups', { name: 'ops' });
    const cases: Array<
      [string, 'GET' | 'POST' | 'PUT' | 'DELETE', string, object | undefined, number, string]
    > = [
      ['dave', 'GET', '/api/v1/groups', undefined, 403, 'admin_required'],
      ['rootRead', 'POST', '/api/v1/groups', { name: 'x' }, 403, 'admin_required'],
      ['root', 'POST', '/api/v1/groups', { name: 'ops' }, 409, 'group_exists'],
      ['root', 'POST', '/api/v1/groups', { name: '../x' }, 400, 'invalid_group_name'],
      ['root', 'DELETE', '/api/v1/groups/nope', undefined, 404, 'group_not_found'],
      ['root', 'PUT', '/api/v1/groups/nope/members/dave', undefined, 404, 'group_not_found'],
      ['root', 'PUT', '/api/v1/groups/ops/members/nobody', undefined, 404, 'user_not_found'],
      ['root', 'DELETE', '/api/v1/groups/ops/members/dave', undefined, 404, 'user_not_found'],
    ];
    for (const [as, method, url, payload, status, code] of cases) {
      const response = await call(as, method, url, payload);
      expect({ as, url, status: response.statusCode, code: response.json().code }).toEqual({
        as,
        url,
        status,
        code,
      });
    }
  });
});
