import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { buildApp, buildAppServer } from '../cli/app.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createMetricsRegistry } from '../platform/metrics.js';
import { MAX_AUTH_FAILURES } from './auth-failures.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let token: string;
const logLines: string[] = [];

beforeAll(async () => {
  temp = await makeTempDir();
  const config = loadConfig({ env: {}, overrides: { anonymousRead: true, dataDir: temp.path } });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const built = await buildApp(
    { ...config, databaseUrl: 'sqlite::memory:', publicUrl: 'https://mega.example.com' },
    createLogger({ level: 'info', destination }),
    createMetricsRegistry(),
  );
  app = await buildAppServer(built);
  const user = await built.storage.users.createUser({ username: 'alice' });
  token = (await built.storage.users.createToken(user.id, 'test')).token;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

describe('authentication challenges', () => {
  it('sends Basic on git and LFS 401s, Bearer (never Basic) on REST and UI 401s', async () => {
    const cases: Array<[string, string]> = [
      ['/projects/app.git/info/refs?service=git-receive-pack', 'Basic realm="Mega", charset="UTF-8"'],
      ['/projects/app.git/info/lfs/objects/batch', 'Basic realm="Mega", charset="UTF-8"'],
      ['/api/v1/user', 'Bearer realm="mega"'],
      ['/ui/anything', 'Bearer realm="mega"'],
    ];
    for (const [url, challenge] of cases) {
      const response = await app.inject({ url, headers: bearer('mega_wrong') });
      expect({ url, status: response.statusCode, challenge: response.headers['www-authenticate'] }).toEqual({
        url,
        status: 401,
        challenge,
      });
    }
    const anonymous = await app.inject({ url: '/api/v1/user' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="mega"');
  });
});

describe('CSRF defence of state-changing REST requests', () => {
  const close = '/api/v1/merge-requests/1/close';

  it('refuses text/plain and form bodies with 415 before any handler runs', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: close,
        headers: { ...bearer(token), 'content-type': type, origin: 'https://evil.example' },
        payload: '{}',
      });
      expect({ type, status: response.statusCode, code: response.json().code }).toEqual({
        type,
        status: 415,
        code: 'unsupported_media_type',
      });
    }
  });

  it('refuses a JSON request from another origin with 403 origin_forbidden', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://localhost:1']) {
      const response = await app.inject({
        method: 'POST',
        url: close,
        headers: { ...bearer(token), origin },
        payload: {},
      });
      expect({ origin, status: response.statusCode, code: response.json().code }).toEqual({
        origin,
        status: 403,
        code: 'origin_forbidden',
      });
    }
  });

  it('lets same-origin, publicUrl-origin and Origin-less requests through to the handler', async () => {
    for (const headers of [
      { origin: 'http://localhost:80', host: 'localhost:80' },
      { origin: 'https://mega.example.com' },
      {},
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: close,
        headers: { ...bearer(token), ...headers },
        payload: {},
      });
      // Past the guard: the handler answers (there is no merge request 1).
      expect(response.json().code).not.toMatch(/origin_forbidden|unsupported_media_type/);
    }
    // An empty body without Content-Type is fine.
    const empty = await app.inject({
      method: 'DELETE',
      url: '/api/v1/user/tokens/999',
      headers: bearer(token),
    });
    expect({ status: empty.statusCode, code: empty.json().code }).toEqual({
      status: 404,
      code: 'token_not_found',
    });
  });

  it('leaves GET requests and git pushes alone', async () => {
    const read = await app.inject({
      url: '/api/v1/user',
      headers: { ...bearer(token), origin: 'https://evil.example' },
    });
    expect(read.statusCode).toBe(200);
  });
});

describe('failed authentication', () => {
  it('answers 429 with Retry-After past the limit per address; valid tokens still pass', async () => {
    const from = (remoteAddress: string, value: string) =>
      app.inject({ url: '/api/v1/user', headers: bearer(value), remoteAddress });
    for (let i = 0; i < MAX_AUTH_FAILURES; i++) {
      expect((await from('192.0.2.7', 'mega_guess')).statusCode).toBe(401);
    }
    const limited = await from('192.0.2.7', 'mega_guess');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('auth_rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await from('192.0.2.7', token)).statusCode).toBe(200);
    expect((await from('192.0.2.8', 'mega_guess')).statusCode).toBe(401);
  });

  it('logs address, path and reason, never the token', async () => {
    await app.inject({
      url: '/api/v1/user?x=1',
      headers: bearer('mega_secretguess'),
      remoteAddress: '198.51.100.1',
    });
    const record = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === 'authentication failed' && entry.address === '198.51.100.1');
    expect(record).toMatchObject({ address: '198.51.100.1', path: '/api/v1/user', reason: 'token_invalid' });
    expect(logLines.join('\n')).not.toContain('mega_secretguess');
  });
});

describe('request logging', () => {
  it('never writes a token passed in the query string', async () => {
    const secrets = ['mega_inquerystring1', 'mega_inquerystring2', 'mega_inquerystring3'];
    await app.inject({ url: `/api/v1/directory?access_token=${secrets[0]}&path=/` });
    await app.inject({ url: `/projects/app.git/info/refs?service=git-upload-pack&token=${secrets[1]}` });
    await app.inject({ url: `/ui/?q=${secrets[2]}` });
    const text = logLines.join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('access_token=[redacted]');
    expect(text).toContain('service=git-upload-pack');
  });
});
