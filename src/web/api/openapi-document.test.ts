import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import { MAX_DIFF_FILES, MAX_DIFF_TOTAL_LINES } from '../../repo/browse/tree-diff.js';
import { openApiDocument } from './openapi.js';

/**
 * The OpenAPI document checked two ways: structurally, against the OpenAPI 3.1 rules that can be
 * checked without a validator dependency; and against the server, by calling every declared
 * operation as several callers and checking that each status observed is one the document lists.
 */

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string }> };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let document: Document;
const tokens: Record<'user' | 'admin', string> = { user: '', admin: '' };

beforeAll(async () => {
  temp = await makeTempDir();
  const foo = join(temp.path, 'foo');
  await makeRepo(foo, [
    { 'src/main.ts': 'export const x = 1;\n' },
    { 'src/main.ts': 'export const x = 2;\n' },
  ]);
  const fixture = await buildFixture(
    { '/projects/foo': await loadGitRepository(foo) },
    join(temp.path, 'data'),
  );
  app = fixture.app;
  const alice = await fixture.storage.users.createUser({ username: 'alice' });
  tokens.user = (await fixture.storage.users.createToken(alice.id, 't')).token;
  const root = await fixture.storage.users.createUser({ username: 'root', isAdmin: true });
  tokens.admin = (
    await fixture.storage.users.createToken(root.id, 't', { scopes: ['read', 'write', 'admin'] })
  ).token;
  document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

function operations(): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
  );
}

/** The value a JSON pointer (`#/components/schemas/Commit`) names in the document, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function allRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) allRefs(item, out);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else allRefs(value, out);
    }
  }
  return out;
}

describe('the document, structurally (OpenAPI 3.1)', () => {
  it('has the top-level fields, a relative server without a public URL, and a bearer scheme', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof document.info.title).toBe('string');
    expect(typeof document.info.version).toBe('string');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The method-not-allowed convention is stated where no single operation can state it.
    expect(document.info.description).toContain('405');
  });

  it('names the public URL as its server when one is configured', () => {
    const built = openApiDocument([], '1.0.0', 'https://git.example.com/mega/') as unknown as Document;
    expect(built.servers).toEqual([expect.objectContaining({ url: 'https://git.example.com/mega' })]);
  });

  it('resolves every $ref', () => {
    const refs = allRefs(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(resolvePointer(document, ref), ref).toBeDefined();
  });

  it('has paths and operations of the right form', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      expect(path, path).toMatch(/^\/[^?#]*$/);
      for (const method of Object.keys(methods)) expect(METHODS.has(method), `${method} ${path}`).toBe(true);
    }
  });

  it('has unique operationIds, and declares exactly the path parameters each template names', () => {
    const ids = new Map<string, string>();
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(ids.get(operation.operationId), `${operation.operationId} twice`).toBeUndefined();
      ids.set(operation.operationId, where);
      const parameters = operation.parameters ?? [];
      const keys = parameters.map((parameter) => `${parameter.in}:${parameter.name}`);
      expect(new Set(keys).size, `${where}: duplicate parameters`).toBe(keys.length);
      for (const parameter of parameters) {
        expect(['path', 'query', 'header', 'cookie'], where).toContain(parameter.in);
        expect(parameter.schema, `${where} ${parameter.name}`).toBeDefined();
      }
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      const inPath = parameters.filter((parameter) => parameter.in === 'path');
      expect(inPath.map((parameter) => parameter.name).sort(), where).toEqual(inTemplate);
      // OpenAPI: a path parameter is required, always.
      for (const parameter of inPath) expect(parameter.required, `${where} ${parameter.name}`).toBe(true);
      if (operation.requestBody) {
        expect(Object.keys(operation.requestBody.content).length, where).toBeGreaterThan(0);
      }
      expect(Array.isArray(operation.tags) && operation.tags.length > 0, where).toBe(true);
    }
  });

  it('gives every operation responses with valid codes and descriptions, and its security', () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(operation.responses);
      expect(statuses.length, where).toBeGreaterThan(0);
      expect(
        statuses.some((status) => status.startsWith('2')),
        where,
      ).toBe(true);
      for (const status of statuses) {
        // Response codes are strings in JSON: "200", "4XX" or "default".
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(typeof operation.responses[status]?.description, `${where} ${status}`).toBe('string');
        if (Number(status) >= 400) {
          expect(operation.responses[status]?.content, `${where} ${status}`).toEqual({
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          });
        }
      }
      // 204 and 304 have no body (RFC 9110 §15.3.5, §15.4.5).
      for (const empty of ['204', '304']) expect(operation.responses[empty]?.content, where).toBeUndefined();
      expect(Array.isArray(operation.security), `${where}: security`).toBe(true);
      for (const requirement of operation.security ?? []) {
        for (const [scheme, scopes] of Object.entries(requirement)) {
          expect(document.components.securitySchemes, where).toHaveProperty(scheme);
          expect(scopes, where).toEqual([]);
        }
      }
    }
  });
});

describe('the document, by convention', () => {
  const hasStatus = (operation: Operation, status: string) => status in operation.responses;
  const needsToken = (operation: Operation) =>
    (operation.security ?? []).length > 0 &&
    (operation.security ?? []).every((requirement) => Object.keys(requirement).length > 0);

  it('documents 401, 429 and 503 on every operation, and bearer security where a token is needed', () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      // A presented token that is invalid is a 401 anywhere; failed attempts are limited anywhere.
      for (const status of ['401', '429', '503'])
        expect(hasStatus(operation, status), `${where} ${status}`).toBe(true);
    }
    const byId = new Map(operations().map((entry) => [entry.operation.operationId, entry.operation]));
    // One of each access level: user, admin, read, public.
    expect(byId.get('createToken')?.security).toEqual([{ bearer: [] }]);
    expect(byId.get('deleteRepository')?.security).toEqual([{ bearer: [] }]);
    expect(byId.get('getDirectory')?.security).toEqual([{}, { bearer: [] }]);
    expect(byId.get('getOpenApiDocument')?.security).toEqual([]);
    expect(needsToken(byId.get('getCurrentUser') as Operation)).toBe(true);
  });

  it('documents 400, 413 and 415 for every body, 403 for every state change', () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      if (operation.requestBody) {
        for (const status of ['400', '413', '415'])
          expect(hasStatus(operation, status), `${where} ${status}`).toBe(true);
      }
      if ((operation.parameters ?? []).length > 0) expect(hasStatus(operation, '400'), where).toBe(true);
      // origin_forbidden: a browser's cross-origin write is refused on every one.
      if (method !== 'get') expect(hasStatus(operation, '403'), where).toBe(true);
    }
  });

  it('documents 304 for GETs answered whole, not for streamed bytes', () => {
    for (const { method, path, operation } of operations()) {
      if (method !== 'get') continue;
      const streamed = Boolean(operation.responses['200']?.content?.['application/octet-stream']);
      expect(hasStatus(operation, '304'), `${method} ${path}`).toBe(!streamed);
    }
  });

  it('answers creations with 201, never 200 and 201 both', () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path} ${operation.operationId}`;
      expect(hasStatus(operation, '200') && hasStatus(operation, '201'), where).toBe(false);
      if (method === 'post' && /^(create|start|replyTo)[A-Z]/.test(operation.operationId)) {
        expect(hasStatus(operation, '201'), where).toBe(true);
      }
    }
  });

  it('documents the diff limits where diffs are answered', () => {
    const byId = new Map(operations().map((entry) => [entry.operation.operationId, entry.operation]));
    for (const id of ['compareRevisions', 'getCommit', 'getMergeRequest']) {
      const description = byId.get(id)?.description ?? '';
      expect(description, id).toContain(MAX_DIFF_FILES.toLocaleString('en-US'));
      expect(description, id).toContain(MAX_DIFF_TOTAL_LINES.toLocaleString('en-US'));
      expect(description, id).toContain('truncated');
    }
    const diff = JSON.stringify(document.components.schemas.Diff);
    expect(diff).toContain(MAX_DIFF_FILES.toLocaleString('en-US'));
  });
});

describe('the docs page', () => {
  it('marks the operations that need a token, and only those', async () => {
    const page = (await app.inject({ method: 'GET', url: '/api/docs' })).body;
    const sectionOf = (method: string, path: string) => {
      const start = page.indexOf(`<span class="method">${method}</span> <code>${path}</code>`);
      expect(start, `${method} ${path}`).toBeGreaterThan(0);
      return page.slice(start, page.indexOf('</section>', start));
    };
    expect(sectionOf('POST', '/api/v1/user/tokens')).toContain('(token required)');
    expect(sectionOf('GET', '/api/v1/directory')).not.toContain('(token required)');
    expect(sectionOf('GET', '/api/openapi.json')).not.toContain('(token required)');
  });
});

/** Values for path parameters, by name: plausible enough to reach handlers, not to find things. */
const PATH_VALUES: Readonly<Record<string, string>> = {
  number: '1',
  thread: '1',
  id: '1',
  delivery: '1',
  request: '1',
  tenant: 'acme',
  sha: '0'.repeat(40),
  name: 'team',
  user: 'alice',
};

/** Values for query parameters, by name: the fixture's repository at its head. */
const QUERY_VALUES: Readonly<Record<string, string>> = {
  repo: '/projects/foo',
  ref: 'main',
  path: 'src',
  from: 'main~1',
  to: 'main',
  page: '1',
  per_page: '10',
};

/**
 * Valid bodies of a few creations, by operationId, so the walk sees their successes (and, sent
 * twice, their conflicts); other bodies are `{}`, which reaches validation.
 */
const SAMPLE_BODIES: Readonly<Record<string, object>> = {
  createToken: { name: 'walk' },
  createGroup: { name: 'walkers' },
  createSyncTenant: { name: 'walkers' },
};

describe('the document against the server', () => {
  it('lists every status each operation is observed to answer', async () => {
    const undocumented: string[] = [];
    const observed = new Map<string, Set<number>>();
    let address = 0;
    for (const { method, path, operation } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => PATH_VALUES[name] ?? 'x');
      const query = new URLSearchParams(
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query' && QUERY_VALUES[parameter.name] !== undefined)
          .map((parameter): [string, string] => [parameter.name, QUERY_VALUES[parameter.name] as string]),
      ).toString();
      const callers: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer mega_not_a_token' },
        { authorization: `Bearer ${tokens.user}` },
        { authorization: `Bearer ${tokens.admin}` },
      ];
      for (const headers of callers) {
        const sample = SAMPLE_BODIES[operation.operationId];
        const bodies = operation.requestBody ? ['{}', ...(sample ? [sample, sample] : [])] : [undefined];
        const targets = query ? [url, `${url}?${query}`] : [url];
        for (const [target, body] of targets.flatMap((one) => bodies.map((each) => [one, each] as const))) {
          const response = await app.inject({
            method: method.toUpperCase() as 'GET',
            url: target,
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined
              ? {}
              : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
            // Each call from its own address, so the failed-authentication limit never blurs the rest.
            remoteAddress: `198.51.100.${(address++ % 250) + 1}`,
          });
          const seen = observed.get(operation.operationId) ?? new Set();
          seen.add(response.statusCode);
          if (method === 'get' && response.statusCode === 200 && response.headers.etag) {
            const again = await app.inject({
              method: 'GET',
              url: target,
              headers: { ...headers, 'if-none-match': String(response.headers.etag) },
              remoteAddress: `198.51.100.${(address++ % 250) + 1}`,
            });
            seen.add(again.statusCode);
          }
          observed.set(operation.operationId, seen);
        }
      }
      for (const status of observed.get(operation.operationId) ?? []) {
        if (!(String(status) in operation.responses)) {
          undocumented.push(`${method.toUpperCase()} ${path} (${operation.operationId}): ${status}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
    // The walk reached handlers, not only the guards in front of them.
    const all = [...observed.values()].flatMap((statuses) => [...statuses]);
    for (const status of [200, 201, 204, 304, 400, 401, 403, 404, 409])
      expect(all, String(status)).toContain(status);
  });
});
