import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { answeredErrors, components, operationOf, pathParamNames, type OperationSpec } from './operation.js';

export type JsonSchema = Readonly<Record<string, unknown>>;

const COMPONENT_REF = '#/components/schemas/';

/**
 * Every route the server registers, with the operation it was declared with. A route under
 * `/api/` without a declaration is refused at start, so the document lists the whole REST API.
 */
export class OperationRegistry {
  readonly #operations: OperationSpec[] = [];
  #document: JsonSchema | undefined;
  #patterns: Array<{ method: string; pattern: RegExp }> | undefined;
  readonly #publicUrl: string | undefined;

  /** `publicUrl`: the server's configured public URL, the document's `servers` entry. */
  constructor(options: { publicUrl?: string | undefined } = {}) {
    this.#publicUrl = options.publicUrl;
  }

  /** Fastify `onRoute` hook (registered on the root instance by `buildServer`). */
  readonly record = (route: RouteOptions): void => {
    if (route.method === 'HEAD' || (Array.isArray(route.method) && route.method.includes('HEAD'))) return;
    const operation = operationOf(route.config);
    if (operation) this.#operations.push(operation);
    else if (route.url.startsWith('/api/')) {
      throw new Error(`${String(route.method)} ${route.url}: REST routes are declared with operation()`);
    }
  };

  get operations(): readonly OperationSpec[] {
    return this.#operations;
  }

  /**
   * The methods declared for a request path (`/api/v1/merge-requests/7`, without the query),
   * sorted, with HEAD wherever GET is (Fastify answers HEAD for every GET route); empty when no
   * operation is declared at that path. A `:param` matches one non-empty segment, as Fastify's
   * router does.
   */
  methodsAt(path: string): string[] {
    this.#patterns ??= this.#operations.map((operation) => ({
      method: operation.method,
      pattern: pathPattern(operation.path),
    }));
    const methods = new Set<string>();
    for (const { method, pattern } of this.#patterns) {
      if (pattern.test(path)) methods.add(method);
    }
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }

  /** The OpenAPI 3.1 document, built once every route is registered (on its first request). */
  document(version: string): JsonSchema {
    this.#document ??= openApiDocument(this.#operations, version, this.#publicUrl);
    return this.#document;
  }
}

/** A Fastify path (`/a/:b/c`) as an anchored expression over raw (still encoded) request paths. */
function pathPattern(path: string): RegExp {
  const segments = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}

function without(object: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

/**
 * Response objects promise the fields they list, not that no other field ever appears: zod's
 * output objects say `additionalProperties: false`, which clients would enforce on additions.
 */
function openResponseObject(schema: Record<string, unknown>): void {
  if (schema.additionalProperties === false) delete schema.additionalProperties;
}

/** A zod schema as JSON Schema; named (registered) schemas become `$ref`s into components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const id = components.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT_REF}${id}` };
  const generated = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // A named sub-schema is referenced, not inlined: the document holds it once, in components.
    override: (ctx) => {
      const zodSchema = ctx.zodSchema as unknown as z.ZodType;
      if (io === 'output') openResponseObject(ctx.jsonSchema);
      const named = zodSchema === schema ? undefined : components.get(zodSchema)?.id;
      if (named === undefined) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      ctx.jsonSchema.$ref = `${COMPONENT_REF}${named}`;
    },
  });
  return without(generated, ['$schema']);
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      description: typeof description === 'string' ? description : '',
      schema: rest,
    };
  });
}

/**
 * Who may call, as OpenAPI security requirements: `public` needs nothing, `read` takes a token
 * when one is given (anonymous reading may be on), `user` and `admin` need one.
 */
const SECURITY: Readonly<Record<OperationSpec['access'], ReadonlyArray<Record<string, string[]>>>> = {
  public: [],
  read: [{}, { bearer: [] }],
  user: [{ bearer: [] }],
  admin: [{ bearer: [] }],
};

/**
 * A GET answered with a body the server holds whole gets an ETag, and `If-None-Match` a 304
 * (`response-conventions.ts`); a streamed answer (raw bytes) is sent as it is read, without one.
 */
function answersNotModified(operation: OperationSpec): boolean {
  const ok = operation.responses[200];
  return operation.method === 'GET' && ok !== undefined && ok.mediaType !== 'application/octet-stream';
}

/** A list paged with `cursor` (`pagination.ts`) answers a `Link` header with its 200. */
function isPaged(operation: OperationSpec): boolean {
  return operation.query !== undefined && 'cursor' in operation.query.shape;
}

const LINK_HEADER = {
  Link: {
    description:
      'RFC 8288 links to the `first` page and, when they exist, the `next` and `prev` pages ' +
      '(path-absolute URLs carrying `cursor`)',
    schema: { type: 'string' },
  },
};

function operationObject(operation: OperationSpec) {
  const problem = { 'application/problem+json': { schema: { $ref: `${COMPONENT_REF}Problem` } } };
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    const mediaType = response.mediaType ?? 'application/json';
    const schema = response.schema
      ? jsonSchema(response.schema, 'output')
      : mediaType === 'application/json'
        ? undefined
        : { type: 'string', format: 'binary' };
    responses[status] = {
      description: response.description,
      ...(status === '200' && isPaged(operation) ? { headers: LINK_HEADER } : {}),
      ...(schema ? { content: { [mediaType]: { schema } } } : {}),
    };
  }
  if (answersNotModified(operation)) {
    responses['304'] = { description: 'Not modified: the `ETag` sent in `If-None-Match` still matches' };
  }
  for (const [status, description] of Object.entries(answeredErrors(operation))) {
    responses[status] = { description, content: problem };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    security: SECURITY[operation.access],
    parameters: [...parameters(operation.params, 'path'), ...parameters(operation.query, 'query')],
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

const API_DESCRIPTION = [
  'Browse the Mega directory and its repositories, review merge requests, watch sync repositories.',
  '',
  'Authenticate with `Authorization: Bearer <token>`. Every error is an RFC 9457 problem ' +
    '(`application/problem+json`: `type`, `title`, `status`, `detail`, `instance`) with a stable ' +
    "`code` and the error's details as extension members (`issues` for invalid input). JSON " +
    'fields are camelCase.',
  '',
  'Lists answer `{"items": [...], "nextCursor": "…"}`; pass `nextCursor` back as `cursor` for the ' +
    'next page (`limit` ≤ 100). A `Link` header (RFC 8288) names the `first`, `next` and, where ' +
    'the list allows, `prev` pages. Small lists (tokens, groups, webhooks …) answer `{"items": [...]}` ' +
    'whole, without cursors. A query parameter an operation does not list is `400 query_invalid`.',
  '',
  'Beyond what each operation lists: a request with a method a path does not have is ' +
    '`405 method_not_allowed` with an `Allow` header (`OPTIONS` answers 204 with it); a URL ' +
    'that is not valid percent-encoded UTF-8 is `400 path_encoding_invalid`, one holding NUL ' +
    '`400 text_contains_nul`; an unexpected failure is `500 internal_error`.',
  '',
  'Successful GET answers carry an `ETag` (`Cache-Control: private, no-cache`); send it back in ' +
    '`If-None-Match` to get `304 Not Modified`. Bodies are compressed with brotli or gzip when ' +
    '`Accept-Encoding` allows.',
].join('\n');

/** Fastify `/a/:b` → OpenAPI `/a/{b}`. */
export function openApiPath(path: string): string {
  let result = path;
  for (const name of pathParamNames(path)) result = result.replace(`:${name}`, `{${name}}`);
  return result;
}

/**
 * The OpenAPI 3.1 document of the given operations, with every named schema in components. Its
 * server is the public URL when one is configured, else `/` (relative to where the document was
 * fetched from, which is the server itself).
 */
export function openApiDocument(
  operations: readonly OperationSpec[],
  version: string,
  publicUrl?: string,
): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const path = (paths[openApiPath(operation.path)] ??= {});
    path[operation.method.toLowerCase()] = operationObject(operation);
  }
  const named = z.toJSONSchema(components, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENT_REF}${id}`,
    override: (ctx) => openResponseObject(ctx.jsonSchema),
  }).schemas;
  const schemas = Object.fromEntries(
    // The document declares its dialect once; per-schema `$schema` and `$id` would be noise.
    Object.entries(named).map(([id, schema]) => [id, without(schema, ['$schema', '$id'])]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mega REST API',
      version,
      description: API_DESCRIPTION,
    },
    servers: [
      publicUrl
        ? { url: publicUrl.replace(/\/+$/, ''), description: 'This server (its configured public URL)' }
        : { url: '/', description: 'This server' },
    ],
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A personal access token (`mega token create`, or `POST /api/v1/user/tokens`): ' +
            '`Authorization: Bearer <token>`.',
        },
      },
    },
    paths,
  };
}
