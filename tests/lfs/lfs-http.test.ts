import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLfsTestServer, type LfsTestServer } from './lfs-http-server.js';
import { streamedRequest } from '../support/streamed-request.js';

function* repeatedChunks(chunk: Buffer, count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield chunk;
}

const LFS_JSON = 'application/vnd.git-lfs+json';

function basic(token: string): string {
  return `Basic ${Buffer.from(`user:${token}`).toString('base64')}`;
}

function lfsObject(content: Buffer) {
  return { content, oid: createHash('sha256').update(content).digest('hex'), size: content.length };
}

interface BatchObject {
  oid: string;
  size: number;
  authenticated?: boolean;
  actions?: Record<string, { href: string; header: Record<string, string>; expires_in: number }>;
  error?: { code: number; message: string };
}

describe('LFS over HTTP (raw requests)', () => {
  let server: LfsTestServer;
  beforeAll(async () => {
    server = await startLfsTestServer({ maxRequestBytes: 1024 * 1024 });
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': LFS_JSON,
        Accept: LFS_JSON,
        ...(token ? { Authorization: basic(token) } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function batch(
    repo: string,
    operation: string,
    objects: unknown[],
    token?: string,
  ): Promise<BatchObject[]> {
    const response = await post(`/${repo}.git/info/lfs/objects/batch`, { operation, objects }, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(LFS_JSON);
    return ((await response.json()) as { objects: BatchObject[] }).objects;
  }

  async function upload(repo: string, content: Buffer): Promise<ReturnType<typeof lfsObject>> {
    const object = lfsObject(content);
    const [entry] = await batch(repo, 'upload', [{ oid: object.oid, size: object.size }], 'alice-token');
    const action = entry?.actions?.upload;
    if (!action) throw new Error('no upload action');
    const put = await fetch(action.href, {
      method: 'PUT',
      headers: { ...action.header, 'Content-Type': 'application/octet-stream' },
      body: content,
    });
    expect(put.status).toBe(200);
    return object;
  }

  async function storedFiles(): Promise<string[]> {
    const root = join(server.scratch.dataDir, 'lfs');
    const files: string[] = [];
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name !== 'transfer-signing.key') files.push(entry.name);
    }
    return files;
  }

  it('asks anonymous uploaders for credentials with LFS-Authenticate', async () => {
    const response = await post('/existing/a.git/info/lfs/objects/batch', {
      operation: 'upload',
      objects: [],
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('lfs-authenticate')).toMatch(/^Basic realm=/);
    expect(response.headers.get('content-type')).toContain(LFS_JSON);
    expect(await response.json()).toMatchObject({
      message: expect.any(String),
      request_id: expect.any(String),
    });
  });

  it('round-trips an object: batch, PUT, verify, batch download, GET', async () => {
    const content = randomBytes(200_000);
    const object = lfsObject(content);
    const [entry] = await batch(
      'existing/round',
      'upload',
      [{ oid: object.oid, size: object.size }],
      'alice-token',
    );
    const { upload: action, verify } = entry!.actions!;
    expect(action!.href).toBe(`${server.url}/existing/round.git/info/lfs/objects/${object.oid}`);
    expect(entry!.authenticated).toBe(true);
    expect(action!.expires_in).toBeGreaterThan(0);
    expect(Object.keys(action!.header)).toEqual(['Mega-Lfs-Transfer']);
    expect(action!.href).not.toContain(action!.header['Mega-Lfs-Transfer']!.slice(0, 20));
    const put = await fetch(action!.href, {
      method: 'PUT',
      headers: { ...action!.header, 'Content-Type': 'application/octet-stream' },
      body: content,
    });
    expect(put.status).toBe(200);
    const verified = await fetch(verify!.href, {
      method: 'POST',
      headers: { ...verify!.header, 'Content-Type': LFS_JSON },
      body: JSON.stringify({ oid: object.oid, size: object.size }),
    });
    expect(verified.status).toBe(200);
    // Anonymous read is on: the download batch needs no credential; the href carries a header.
    const [download] = await batch('existing/round', 'download', [{ oid: object.oid, size: object.size }]);
    const get = await fetch(download!.actions!.download!.href, {
      headers: download!.actions!.download!.header,
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-length')).toBe(String(object.size));
    expect(Buffer.from(await get.arrayBuffer()).equals(content)).toBe(true);
    // Uploading again: the server has it, so no actions.
    const [again] = await batch(
      'existing/round',
      'upload',
      [{ oid: object.oid, size: object.size }],
      'alice-token',
    );
    expect(again).toEqual({ oid: object.oid, size: object.size });
  });

  it('refuses wrong content and wrong sizes and stores nothing', async () => {
    const before = await storedFiles();
    const object = lfsObject(Buffer.from('declared content'));
    const [entry] = await batch(
      'existing/wrong',
      'upload',
      [{ oid: object.oid, size: object.size }],
      'alice-token',
    );
    const action = entry!.actions!.upload!;
    const send = (body: Buffer) =>
      fetch(action.href, {
        method: 'PUT',
        headers: { ...action.header, 'Content-Type': 'application/octet-stream' },
        body,
      });
    const wrongContent = await send(Buffer.from('DECLARED CONTENT'));
    expect(wrongContent.status).toBe(400);
    expect(await wrongContent.json()).toMatchObject({ code: 'lfs_object_hash_mismatch' });
    expect((await send(Buffer.from('declared'))).status).toBe(400);
    expect((await send(Buffer.from('declared content, and more'))).status).toBe(413);
    expect(await storedFiles()).toEqual(before);
    expect(
      existsSync(
        join(server.scratch.dataDir, 'lfs', object.oid.slice(0, 2), object.oid.slice(2, 4), object.oid),
      ),
    ).toBe(false);
    const [download] = await batch('existing/wrong', 'download', [{ oid: object.oid, size: object.size }]);
    expect(download!.error?.code).toBe(404);
  });

  it('answers a refused oversized upload with its error while the client still sends', async () => {
    const object = lfsObject(Buffer.from('small declared object'));
    const [entry] = await batch(
      'existing/oversized',
      'upload',
      [{ oid: object.oid, size: object.size }],
      'alice-token',
    );
    const action = entry!.actions!.upload!;
    // 16 MiB against a declared size of 21 bytes: refused at byte 22, the rest is read and dropped
    // before the connection (which this client asks to close) ends, so the answer is not reset.
    const reply = await streamedRequest(action.href, {
      method: 'PUT',
      headers: { ...action.header, 'Content-Type': 'application/octet-stream' },
      body: repeatedChunks(Buffer.alloc(1024 * 1024, 0x61), 16),
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body.toString())).toMatchObject({ code: 'request_too_large' });
    expect(reply.sentBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('refuses unauthenticated and mis-scoped object requests', async () => {
    const object = lfsObject(Buffer.from('secret'));
    const href = `${server.url}/existing/auth.git/info/lfs/objects/${object.oid}`;
    const anonymous = await fetch(href, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: object.content,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('lfs-authenticate')).toBeTruthy();
    const forged = await fetch(href, {
      method: 'PUT',
      headers: { 'Mega-Lfs-Transfer': 'abc.def', 'Content-Type': 'application/octet-stream' },
      body: object.content,
    });
    expect(forged.status).toBe(401);
    // A token issued for one repository does not open another.
    const [entry] = await batch(
      'existing/auth',
      'upload',
      [{ oid: object.oid, size: object.size }],
      'alice-token',
    );
    const other = await fetch(`${server.url}/existing/other.git/info/lfs/objects/${object.oid}`, {
      method: 'PUT',
      headers: { ...entry!.actions!.upload!.header, 'Content-Type': 'application/octet-stream' },
      body: object.content,
    });
    expect(other.status).toBe(401);
    // An upload token does not download.
    const download = await fetch(href, { headers: entry!.actions!.upload!.header });
    expect(download.status).toBe(401);
    const badUser = await post(
      '/existing/auth.git/info/lfs/objects/batch',
      { operation: 'download', objects: [] },
      'nope',
    );
    expect(badUser.status).toBe(401);
  });

  it('accepts a user credential on the object endpoints too', async () => {
    const object = lfsObject(Buffer.from('direct upload'));
    const href = `${server.url}/existing/direct.git/info/lfs/objects/${object.oid}`;
    const put = await fetch(href, {
      method: 'PUT',
      headers: { Authorization: basic('bob-token'), 'Content-Type': 'application/octet-stream' },
      body: object.content,
    });
    expect(put.status).toBe(200);
    const get = await fetch(href);
    expect(Buffer.from(await get.arrayBuffer()).toString()).toBe('direct upload');
  });

  it('stores uploads byte for byte whatever their Content-Type (git-lfs sends the file type)', async () => {
    for (const [type, content] of [
      ['text/plain; charset=utf-8', Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0x0a])],
      ['application/json', Buffer.from('{"not": "parsed"')],
      ['image/png', randomBytes(5000)],
    ] as const) {
      const object = lfsObject(content);
      const [entry] = await batch(
        'existing/types',
        'upload',
        [{ oid: object.oid, size: object.size }],
        'alice-token',
      );
      const action = entry!.actions!.upload!;
      const put = await fetch(action.href, {
        method: 'PUT',
        headers: { ...action.header, 'Content-Type': type },
        body: content,
      });
      expect(put.status, type).toBe(200);
      const get = await fetch(action.href);
      expect(Buffer.from(await get.arrayBuffer()).equals(content), type).toBe(true);
    }
  });

  it('validates object ids and sizes', async () => {
    const objects = await batch(
      'existing/ids',
      'upload',
      [
        { oid: '../../etc/passwd', size: 1 },
        { oid: 'a'.repeat(64), size: 'big' },
        { oid: 'a'.repeat(64), size: 2 * 1024 * 1024 },
      ],
      'alice-token',
    );
    expect(objects.map((object) => object.error?.code)).toEqual([422, 422, 422]);
    const put = await fetch(`${server.url}/existing/ids.git/info/lfs/objects/not-hex`, {
      method: 'PUT',
      headers: { Authorization: basic('alice-token'), 'Content-Type': 'application/octet-stream' },
      body: 'x',
    });
    expect(put.status).toBe(400);
    expect((await fetch(`${server.url}/existing/ids.git/info/lfs/objects/${'g'.repeat(64)}`)).status).toBe(
      400,
    );
  });

  it('answers 404 for unknown repositories and 403 for read-only ones', async () => {
    const unknown = await post('/nope/x.git/info/lfs/objects/batch', { operation: 'download', objects: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain(LFS_JSON);
    const notPushedYet = await post('/new/x.git/info/lfs/objects/batch', {
      operation: 'download',
      objects: [],
    });
    expect(notPushedYet.status).toBe(404);
    const firstPush = await post(
      '/new/x.git/info/lfs/objects/batch',
      { operation: 'upload', objects: [] },
      'alice-token',
    );
    expect(firstPush.status).toBe(200);
    const readOnly = await post(
      '/readonly/x.git/info/lfs/objects/batch',
      { operation: 'upload', objects: [] },
      'alice-token',
    );
    expect(readOnly.status).toBe(403);
  });

  it('rejects malformed, hostile and oversized batch bodies', async () => {
    const url = '/existing/bad.git/info/lfs/objects/batch';
    expect((await post(url, '{"operation": "download", "objects": [', 'alice-token')).status).toBe(400);
    expect((await post(url, '[]', 'alice-token')).status).toBe(400);
    expect((await post(url, { operation: 'download' }, 'alice-token')).status).toBe(400);
    expect((await post(url, { operation: 'download', objects: {} }, 'alice-token')).status).toBe(400);
    expect(
      (await post(url, { operation: 'download', transfers: ['ssh'], objects: [] }, 'alice-token')).status,
    ).toBe(400);
    const many = Array.from({ length: 1001 }, () => ({ oid: 'a'.repeat(64), size: 1 }));
    expect((await post(url, { operation: 'download', objects: many }, 'alice-token')).status).toBe(413);
    const huge = JSON.stringify({ operation: 'download', objects: [], pad: 'x'.repeat(17 * 1024 * 1024) });
    expect((await post(url, huge, 'alice-token')).status).toBe(413);
    const algo = await batch('existing/bad', 'download', [{ oid: 'a'.repeat(64), size: 1 }]);
    expect(algo[0]!.error?.code).toBe(404);
  });

  it('limits direct uploads to the configured maximum', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 7);
    const object = lfsObject(big);
    const response = await fetch(`${server.url}/existing/limit.git/info/lfs/objects/${object.oid}`, {
      method: 'PUT',
      headers: { Authorization: basic('alice-token'), 'Content-Type': 'application/octet-stream' },
      body: big,
    });
    expect(response.status).toBe(413);
  });

  it('serves Range requests: 206, suffix, open end, 416, ignored multi-range', async () => {
    const object = await upload('existing/range', Buffer.from('abcdefghij'));
    const href = `${server.url}/existing/range.git/info/lfs/objects/${object.oid}`;
    const get = async (range: string) => {
      const response = await fetch(href, { headers: { Range: range } });
      return [response.status, response.headers.get('content-range'), await response.text()];
    };
    expect(await get('bytes=0-0')).toEqual([206, 'bytes 0-0/10', 'a']);
    expect(await get('bytes=3-5')).toEqual([206, 'bytes 3-5/10', 'def']);
    expect(await get('bytes=8-')).toEqual([206, 'bytes 8-9/10', 'ij']);
    expect(await get('bytes=-2')).toEqual([206, 'bytes 8-9/10', 'ij']);
    expect(await get('bytes=9-1000')).toEqual([206, 'bytes 9-9/10', 'j']);
    expect(await get('bytes=10-')).toEqual([416, 'bytes */10', '']);
    expect(await get('bytes=-0')).toEqual([416, 'bytes */10', '']);
    expect(await get('bytes=0-1,4-5')).toEqual([200, null, 'abcdefghij']);
    expect(await get('items=0-1')).toEqual([200, null, 'abcdefghij']);
    expect(await get('bytes=99999999999999999999-')).toEqual([200, null, 'abcdefghij']);
  });

  it('verify answers 404 for an object the repository does not have', async () => {
    const response = await post(
      `/existing/verify.git/info/lfs/objects/${'b'.repeat(64)}/verify`,
      { oid: 'b'.repeat(64), size: 3 },
      'alice-token',
    );
    expect(response.status).toBe(404);
    const malformed = await post(
      `/existing/verify.git/info/lfs/objects/${'b'.repeat(64)}/verify`,
      { oid: 1 },
      'alice-token',
    );
    expect(malformed.status).toBe(400);
  });

  it('locks over HTTP: 201, 409 with the holder, list, verify, owner-only unlock, admin force', async () => {
    const base = '/existing/locks.git/info/lfs/locks';
    expect((await post(base, { path: 'a.psd' })).status).toBe(401);
    const created = await post(base, { path: 'a.psd', ref: { name: 'refs/heads/main' } }, 'alice-token');
    expect(created.status).toBe(201);
    const { lock } = (await created.json()) as { lock: { id: string } };
    const clash = await post(base, { path: 'a.psd' }, 'bob-token');
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({ lock, message: expect.any(String) });
    const listed = await fetch(`${server.url}${base}?path=a.psd&limit=10`);
    expect(await listed.json()).toEqual({ locks: [lock] });
    const verify = await post(`${base}/verify`, {}, 'bob-token');
    expect(await verify.json()).toEqual({ ours: [], theirs: [lock] });
    expect((await post(`${base}/verify`, {})).status).toBe(401);
    expect((await post(`${base}/${lock.id}/unlock`, {}, 'bob-token')).status).toBe(403);
    expect((await post(`${base}/${lock.id}/unlock`, { force: true }, 'bob-token')).status).toBe(403);
    const forced = await post(`${base}/${lock.id}/unlock`, { force: true }, 'admin-token');
    expect(forced.status).toBe(200);
    expect(await forced.json()).toEqual({ lock });
    expect((await post(`${base}/${lock.id}/unlock`, {}, 'alice-token')).status).toBe(404);
    expect((await fetch(`${server.url}${base}?cursor=zz`)).status).toBe(400);
  });
});

describe('LFS over HTTP without anonymous reads', () => {
  let server: LfsTestServer;
  beforeAll(async () => {
    server = await startLfsTestServer({ anonymousRead: false });
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks for credentials before a download batch or a lock listing', async () => {
    const batch = await fetch(`${server.url}/existing/private.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { 'Content-Type': LFS_JSON },
      body: JSON.stringify({ operation: 'download', objects: [] }),
    });
    expect(batch.status).toBe(401);
    expect(batch.headers.get('lfs-authenticate')).toBeTruthy();
    expect((await fetch(`${server.url}/existing/private.git/info/lfs/locks`)).status).toBe(401);
    const withToken = await fetch(`${server.url}/existing/private.git/info/lfs/locks`, {
      headers: { Authorization: basic('alice-token') },
    });
    expect(withToken.status).toBe(200);
  });
});
