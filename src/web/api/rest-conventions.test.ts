import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import { MAX_JSON_BODY_BYTES } from '../server.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let token: string;
let origin: string;

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  const alice = await fixture.storage.users.createUser({ username: 'alice' });
  token = (await fixture.storage.users.createToken(alice.id, 't')).token;
  await app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

/** A request over a real socket, with the path sent byte for byte as given (no URL clean-up). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${origin}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const bearer = () => ({ authorization: `Bearer ${token}` });

describe('405 Method Not Allowed on declared REST paths', () => {
  it.each([
    ['DELETE', '/api/v1/merge-requests', 'GET, HEAD, OPTIONS'],
    ['PUT', '/api/openapi.json', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/api/v1/merge-requests/7', 'GET, HEAD, OPTIONS'],
    ['POST', '/api/v1/user/tokens/5', 'DELETE, OPTIONS'],
    ['GET', '/api/v1/merge-requests/7/merge', 'OPTIONS, POST'],
    ['DELETE', '/api/v1/user/tokens', 'GET, HEAD, OPTIONS, POST'],
  ])('%s %s answers 405 with Allow: %s', async (method, url, allow) => {
    // Anonymous and without a body: the method is wrong whoever asks.
    const response = await app.inject({ method: method as 'GET', url });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'http://localhost:80/api/docs#error-method_not_allowed',
      title: 'Method Not Allowed',
      status: 405,
      detail: `${method} is not allowed on ${url}`,
      instance: url,
      code: 'method_not_allowed',
      method,
      allowed: allow.split(', '),
    });
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const response = await app.inject({ method: 'OPTIONS', url: '/api/v1/user/tokens' });
    expect(response.statusCode).toBe(204);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect(response.body).toBe('');
  });

  it('comes before credentials, bodies and the CSRF guard', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: '/api/openapi.json',
      headers: {
        authorization: 'Bearer mega_wrong',
        'content-type': 'text/plain',
        origin: 'https://evil.example',
      },
      payload: 'x',
    });
    expect(response.statusCode).toBe(405);
  });

  it('leaves declared methods, HEAD, unknown REST paths and repository URLs as they were', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/merge-requests' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: '/api/v1/merge-requests' })).statusCode).toBe(200);
    const unknown = await app.inject({ method: 'DELETE', url: '/api/v1/no-such-thing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('route_not_found');
    // A trailing slash is another path, as Fastify routes it.
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/merge-requests/' })).statusCode).toBe(404);
    // Repository-scoped URLs go on to the catch-all, whatever the method.
    for (const [method, url] of [
      ['DELETE', '/projects/app.git/info/refs'],
      ['PUT', '/projects/app.git/git-upload-pack'],
      ['GET', '/projects/app.git/info/lfs/objects/batch'],
    ] as const) {
      const response = await app.inject({ method, url });
      expect({ url, status: response.statusCode, allow: response.headers.allow }).toEqual({
        url,
        status: 404,
        allow: undefined,
      });
    }
  });

  it('documents the rule in the OpenAPI document', async () => {
    const document = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(document.info.description).toContain('method_not_allowed');
  });
});

describe('no framework-internal code reaches a client', () => {
  const tokens = '/api/v1/user/tokens';

  it.each([
    ['malformed JSON', json, '{"name": ', 400, 'body_invalid', /not valid JSON/],
    ['an empty JSON body', json, '', 400, 'body_invalid', /empty/],
    ['a JSON array', json, '[]', 400, 'body_invalid', /JSON object/],
    ['a prototype-poisoning key', json, '{"__proto__":{"x":1}}', 400, 'body_invalid', /not valid JSON/],
    [
      'a wrong content type',
      { 'content-type': 'application/xml' },
      '<a/>',
      415,
      'unsupported_media_type',
      /json/,
    ],
    ['no content type', {}, '{}', 415, 'unsupported_media_type', /json/],
  ])('%s: %i %s', async (_what, headers, payload, status, code, message) => {
    const response = await raw('POST', tokens, { ...bearer(), ...headers }, payload);
    expect(response.status).toBe(status);
    const body = JSON.parse(response.body);
    expect(body.code).toBe(code);
    expect(body.detail).toMatch(message);
    expect(response.body).not.toMatch(/fst_|FST_|content-type is set/);
  });

  it('an oversized body: 413 request_too_large', async () => {
    const payload = `{"name":"${'x'.repeat(MAX_JSON_BODY_BYTES)}"}`;
    const response = await app.inject({
      method: 'POST',
      url: tokens,
      headers: { ...bearer(), ...json },
      payload,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('request_too_large');
    expect(response.body).not.toMatch(/fst_/i);
  });

  it('a body shorter than its Content-Length: 400 body_invalid', async () => {
    const response = await app.inject({
      method: 'POST',
      url: tokens,
      headers: { ...bearer(), ...json, 'content-length': '50' },
      payload: '{}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('body_invalid');
  });

  it('invalid percent-encoding: 400 path_encoding_invalid, in JSON for REST, in text for git', async () => {
    for (const path of ['/api/v1/%E0%A4%A', '/api/v1/directory%ZZ', '/ui/%C3']) {
      const response = await raw('GET', path);
      expect({ path, status: response.status, code: JSON.parse(response.body).code }).toEqual({
        path,
        status: 400,
        code: 'path_encoding_invalid',
      });
    }
    // git shows a text/plain body as `remote: …`; Fastify's JSON it would not show at all.
    const git = await raw('GET', '/projects/%E0%A4%A.git/info/refs?service=git-upload-pack');
    expect(git.status).toBe(400);
    expect(git.headers['content-type']).toMatch(/^text\/plain/);
    expect(git.body).toBe('the URL is not valid percent-encoded UTF-8\n');
  });

  it('a long path parameter reaches the route (its schema judges it), not a 404 or 414', async () => {
    const response = await app.inject({
      method: 'DELETE',
      url: `/api/v1/user/tokens/${'9'.repeat(300)}`,
      headers: bearer(),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('path_invalid');
  });

  it('a wrong content type on a JSON route outside REST (LFS batch): 415 unsupported_media_type', async () => {
    const response = await raw(
      'POST',
      '/projects/app.git/info/lfs/objects/batch',
      { 'content-type': 'text/xml' },
      '<a/>',
    );
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body).code).toBe('unsupported_media_type');
  });
});
