import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerResponseConventions } from './response-conventions.js';

const BIG = { items: Array.from({ length: 200 }, (_, index) => ({ index, name: `item ${index}` })) };
const ASSET = Buffer.from(`console.log(${JSON.stringify('x'.repeat(5000))});`);

describe('REST and UI response conventions', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    registerResponseConventions(app);
    app.get('/api/v1/big', async () => BIG);
    app.get('/api/v1/small', async () => ({ ok: true }));
    app.get('/api/v1/own-etag', async (_request, reply) => reply.header('ETag', '"blob-1"').send(BIG));
    app.post('/api/v1/big', async () => BIG);
    app.get('/api/v1/missing', async (_request, reply) => reply.code(404).send({ error: 'x'.repeat(2000) }));
    app.get('/ui/assets/app.js', async (_request, reply) =>
      reply
        .header('Cache-Control', 'public, max-age=31536000, immutable')
        .type('text/javascript')
        .send(ASSET),
    );
    app.get('/projects/foo/info/refs', async (_request, reply) =>
      reply.type('application/x-git-upload-pack-advertisement').send('x'.repeat(5000)),
    );
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('times API answers, and gives GETs a validator that answers 304 without the body', async () => {
    const first = await app.inject({ url: '/api/v1/big' });
    expect(first.headers['server-timing']).toMatch(/^app;dur=\d+\.\d\d$/);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers.vary).toContain('Authorization');
    const again = await app.inject({ url: '/api/v1/big', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const changed = await app.inject({ url: '/api/v1/big', headers: { 'if-none-match': 'W/"other"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual(BIG);
  });

  it("keeps a route's own ETag, and gives none to writes and errors", async () => {
    const own = await app.inject({ url: '/api/v1/own-etag', headers: { 'if-none-match': '"blob-1"' } });
    expect(own.statusCode).toBe(304);
    const post = await app.inject({ method: 'POST', url: '/api/v1/big' });
    expect(post.headers.etag).toBeUndefined();
    const missing = await app.inject({ url: '/api/v1/missing' });
    expect(missing.headers.etag).toBeUndefined();
  });

  it('compresses text bodies with brotli or gzip as the client accepts, and not small ones', async () => {
    const br = await app.inject({ url: '/api/v1/big', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(BIG);
    expect(br.rawPayload.length).toBeLessThan(JSON.stringify(BIG).length / 3);

    const gzip = await app.inject({ url: '/api/v1/big', headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString())).toEqual(BIG);

    const none = await app.inject({ url: '/api/v1/big', headers: { 'accept-encoding': 'identity' } });
    expect(none.headers['content-encoding']).toBeUndefined();
    const small = await app.inject({ url: '/api/v1/small', headers: { 'accept-encoding': 'br' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('compresses immutable UI assets once, at the best level', async () => {
    const first = await app.inject({ url: '/ui/assets/app.js', headers: { 'accept-encoding': 'br' } });
    const second = await app.inject({ url: '/ui/assets/app.js', headers: { 'accept-encoding': 'br' } });
    expect(first.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(second.rawPayload)).toEqual(ASSET);
    expect(second.rawPayload).toEqual(first.rawPayload);
  });

  it("leaves git's answers alone", async () => {
    const git = await app.inject({ url: '/projects/foo/info/refs', headers: { 'accept-encoding': 'gzip' } });
    expect(git.headers['content-encoding']).toBeUndefined();
    expect(git.headers['server-timing']).toBeUndefined();
    expect(git.headers.etag).toBeUndefined();
  });
});
