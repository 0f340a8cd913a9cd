import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { buildFixture } from '../cli/testing/fixture-server.js';
import { MegaError, invalid } from '../platform/errors.js';
import { problemBody } from './error-handler.js';

/** Errors are RFC 9457 problems (`application/problem+json`) carrying the stable `code`. */

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;

beforeAll(async () => {
  temp = await makeTempDir();
  app = (await buildFixture({}, temp.path)).app;
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

function fakeRequest(url: string, publicUrl = ''): FastifyRequest {
  return {
    url,
    protocol: 'http',
    host: 'mega.test:8000',
    server: { megaPublicUrl: publicUrl },
  } as unknown as FastifyRequest;
}

describe('problemBody', () => {
  it('gives the standard members, the code, and the details as extension members', () => {
    const error = invalid('query_invalid', 'invalid query parameters', { issues: ['limit: too big'] });
    expect(problemBody(error, fakeRequest('/api/v1/merge-requests?limit=1000&token=secret'))).toEqual({
      type: 'http://mega.test:8000/api/docs#error-query_invalid',
      title: 'Bad Request',
      status: 400,
      detail: 'invalid query parameters',
      instance: '/api/v1/merge-requests',
      code: 'query_invalid',
      issues: ['limit: too big'],
    });
  });

  it('nests a detail named like a standard member instead of letting it overwrite one', () => {
    const error = new MegaError('not_found', 'object_wrong_type', 'object is a tree, not a blob', {
      type: 'tree',
      status: 'x',
      path: 'src',
    });
    const problem = problemBody(error, fakeRequest('/api/v1/repos/blob'));
    expect(problem).toMatchObject({ status: 404, code: 'object_wrong_type', path: 'src' });
    expect(problem.type).toBe('http://mega.test:8000/api/docs#error-object_wrong_type');
    expect(problem.details).toEqual({ type: 'tree', status: 'x' });
  });

  it('bases the type URI on the configured public URL, and takes an explicit status (405)', () => {
    const error = new MegaError('invalid', 'method_not_allowed', 'no');
    const problem = problemBody(error, fakeRequest('/api/v1/x', 'https://git.example.com/'), 405);
    expect(problem).toMatchObject({
      type: 'https://git.example.com/api/docs#error-method_not_allowed',
      status: 405,
      title: 'Method Not Allowed',
    });
  });
});

describe('error answers', () => {
  it('an unknown REST route, invalid input and a missing token answer application/problem+json', async () => {
    const cases = [
      { url: '/api/v1/no-such-route', status: 404, code: 'route_not_found' },
      { url: '/api/v1/repos/tree?repo=', status: 400, code: 'query_invalid' },
      { url: '/api/v1/user', status: 401, code: 'authentication_required' },
    ];
    for (const { url, status, code } of cases) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      const body = response.json();
      expect(body, url).toMatchObject({ status, code, instance: url.split('?')[0] });
      expect(body.type, url).toMatch(new RegExp(`/api/docs#error-${code}$`));
      expect(typeof body.title).toBe('string');
      expect(typeof body.detail).toBe('string');
      expect(response.statusCode).toBe(status);
    }
    const invalidQuery = await app.inject({ method: 'GET', url: '/api/v1/repos/tree?repo=' });
    expect(invalidQuery.json().issues).toEqual([expect.stringMatching(/^repo:/)]);
  });

  it('the docs page lists every code a problem type names', async () => {
    const page = (await app.inject({ method: 'GET', url: '/api/docs' })).body;
    for (const code of ['route_not_found', 'query_invalid', 'merge_conflict', 'sync_events_busy']) {
      expect(page).toContain(`id="error-${code}"`);
    }
  });

  it('git smart HTTP keeps text/plain errors (git shows them as remote: lines)', async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere.git/info/refs?service=bogus' });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });
});
