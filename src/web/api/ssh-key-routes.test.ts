import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import type { Storage } from '../../storage/storage.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let storage: Storage;
let alice: string;
let admin: string;
let keyCount = 0;

/** A fresh public key line from ssh-keygen. */
function newKey(): string {
  const file = join(temp.path, `key${++keyCount}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `k${keyCount}@test`, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8');
}

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  storage = fixture.storage;
  const user = await storage.users.createUser({ username: 'alice' });
  alice = (await storage.users.createToken(user.id, 't')).token;
  const root = await storage.users.createUser({ username: 'root', isAdmin: true });
  admin = (await storage.users.createToken(root.id, 't', { scopes: ['read', 'write', 'admin'] })).token;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const auth = (value: string) => ({ authorization: `Bearer ${value}` });

describe('SSH key API', () => {
  it('adds, lists and removes a user key; refuses bad keys and duplicates', async () => {
    const line = newKey();
    const added = await app.inject({
      method: 'POST',
      url: '/api/v1/user/keys',
      headers: auth(alice),
      payload: { key: line },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ title: `k${keyCount}@test`, type: 'ssh-ed25519', bits: 256 });
    expect(added.json().fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/user/keys',
      headers: auth(admin),
      payload: { key: line },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ssh_key_exists');
    const dsa = await app.inject({
      method: 'POST',
      url: '/api/v1/user/keys',
      headers: auth(alice),
      payload: { key: 'ssh-dss AAAAB3NzaC1kc3MAAACBAA==' },
    });
    expect(dsa.statusCode).toBe(400);
    expect(dsa.json()).toMatchObject({ code: 'ssh_key_invalid' });
    const list = await app.inject({ url: '/api/v1/user/keys', headers: auth(alice) });
    expect(list.json().items).toHaveLength(1);
    expect((await app.inject({ url: '/api/v1/user/keys', headers: auth(admin) })).json().items).toEqual([]);
    const id = added.json().id as number;
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/user/keys/${id}`, headers: auth(admin) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/user/keys/${id}`, headers: auth(alice) }))
        .statusCode,
    ).toBe(204);
    expect((await app.inject({ url: '/api/v1/user/keys' })).statusCode).toBe(401);
  });

  it('deploy keys need admin on their path', async () => {
    const payload = { path: '/import/lib.git/', key: newKey(), write: true };
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/deploy-keys',
      headers: auth(alice),
      payload,
    });
    expect(refused.statusCode).toBe(403);
    const added = await app.inject({
      method: 'POST',
      url: '/api/v1/deploy-keys',
      headers: auth(admin),
      payload,
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ path: '/import/lib', write: true });
    const listed = await app.inject({ url: '/api/v1/deploy-keys?path=/import/lib', headers: auth(admin) });
    expect(listed.json().items.map((k: { id: number }) => k.id)).toEqual([added.json().id]);
    expect(
      (await app.inject({ url: '/api/v1/deploy-keys?path=/import/lib', headers: auth(alice) })).statusCode,
    ).toBe(403);
    const url = `/api/v1/deploy-keys/${added.json().id}`;
    expect((await app.inject({ method: 'DELETE', url, headers: auth(alice) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url, headers: auth(admin) })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url, headers: auth(admin) })).statusCode).toBe(404);
  });
});
