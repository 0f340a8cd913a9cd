import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { OperationRegistry, openApiPath } from './openapi.js';
import { routesOf } from './operation.js';
import { buildFixtureServer } from '../../cli/testing/fixture-server.js';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let document: Document;

beforeAll(async () => {
  temp = await makeTempDir();
  // The app's server: every area's routes, the admin routes included.
  app = await buildFixtureServer({}, temp.path);
  await app.ready();
  document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

/** `METHOD /path` of every route Fastify serves, read from its route tree (`printRoutes`). */
function registeredRoutes(server: FastifyInstance): string[] {
  const prefixes: string[] = [];
  const routes: string[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│]*)[├└]── (.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    const path = (prefixes[depth - 1] ?? '') + (match[2] as string);
    prefixes[depth] = path;
    for (const method of (match[3] as string).split(', ')) routes.push(`${method} ${path}`);
  }
  return routes;
}

describe('OpenAPI document', () => {
  it('lists every registered /api/ route with an operationId', () => {
    const api = registeredRoutes(app).filter((route) => / \/api\//.test(route) && !route.startsWith('HEAD '));
    // Sanity of the route-tree reading: every area is there.
    expect(api).toEqual(
      expect.arrayContaining([
        'GET /api/v1/directory',
        'DELETE /api/v1/repos',
        'PUT /api/v1/repos/default-branch',
        'POST /api/v1/merge-requests/:number/merge',
        'DELETE /api/v1/sync/tenants/:tenant/repositories/:id',
        'GET /api/openapi.json',
      ]),
    );
    for (const route of api) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = document.paths[openApiPath(path)]?.[method.toLowerCase()];
      expect(operation?.operationId, route).toMatch(/^[a-z][A-Za-z]+$/);
    }
    const documented = Object.values(document.paths).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    expect(documented).toBe(api.length);
  });

  it('has unique operationIds, declared path parameters, error bodies and resolvable $refs', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(document.paths)) {
      const named = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method} ${path}`;
        expect(ids.has(operation.operationId as string), where).toBe(false);
        ids.add(operation.operationId as string);
        const inPath = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
        expect(inPath.map((parameter) => parameter.name).sort(), where).toEqual(named);
        expect(
          inPath.every((parameter) => parameter.required),
          where,
        ).toBe(true);
        const statuses = Object.keys(operation.responses);
        expect(
          statuses.some((status) => status.startsWith('2')),
          where,
        ).toBe(true);
        for (const status of statuses.filter((code) => Number(code) >= 400)) {
          expect(operation.responses[status]?.content?.['application/problem+json']?.schema.$ref, where).toBe(
            '#/components/schemas/Problem',
          );
        }
        if (inPath.length > 0 || (operation.parameters ?? []).length > 0)
          expect(statuses, where).toContain('400');
      }
    }
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((match) => match[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas, ref).toHaveProperty((ref as string).split('/').pop() as string);
    }
  });

  it('documents the real statuses of a route', () => {
    const merge = document.paths['/api/v1/merge-requests/{number}/merge']?.post;
    // 403: no maintain role on a touched path, or a self-merge where it is not allowed, or a
    // cross-origin request; 429: failed authentications from the address.
    expect(Object.keys(merge?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '503',
    ]);
    expect(merge?.responses['403']).toMatchObject({
      description: expect.stringContaining('origin_forbidden'),
    });
    // Strict request bodies say so; response objects list their fields without closing them.
    const createRepository = document.paths['/api/v1/sync/tenants/{tenant}/repositories']
      ?.post as unknown as {
      requestBody: { content: Record<string, { schema: { additionalProperties?: boolean } }> };
    };
    expect(createRepository.requestBody.content['application/json']?.schema.additionalProperties).toBe(false);
    expect(document.components.schemas.Commit).not.toHaveProperty('additionalProperties');
    const revoke = document.paths['/api/v1/user/tokens/{id}']?.delete;
    expect(Object.keys(revoke?.responses ?? {})).toContain('204');
    expect(revoke?.responses['204']?.content).toBeUndefined();
  });
});

describe('operation declarations', () => {
  it('refuses an /api/ route registered without one', async () => {
    const server = Fastify();
    server.addHook('onRoute', new OperationRegistry().record);
    expect(() => server.get('/api/v1/undeclared', async () => ({}))).toThrow(/declared with operation/);
    server.get('/healthz', async () => ({}));
    await server.close();
  });

  it('refuses path parameters the params schema does not declare', async () => {
    const server = Fastify();
    const route = routesOf(server);
    expect(() =>
      route({
        method: 'GET',
        path: '/api/v1/things/:id',
        operationId: 'getThing',
        tag: 'test',
        summary: 'A thing',
        access: 'public',
        params: z.object({ other: z.string() }),
        responses: { 200: { description: 'The thing' } },
        handler: async () => ({}),
      }),
    ).toThrow(/path parameters/);
    await server.close();
  });
});
