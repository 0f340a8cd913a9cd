import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import {
  components,
  operationOf,
  pathParamNames,
  type ErrorStatus,
  type OperationSpec,
} from './operation.js';

export type JsonSchema = Readonly<Record<string, unknown>>;

const COMPONENT_REF = '#/components/schemas/';

const ERROR_DESCRIPTIONS: Readonly<Record<ErrorStatus, string>> = {
  400: 'Invalid input',
  401: 'Authentication required or token invalid',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported media type',
  503: 'Temporarily unavailable; retry after the Retry-After header',
};

/**
 * Every route the server registers, with the operation it was declared with. A route under
 * `/api/` without a declaration is refused at start, so the document lists the whole REST API.
 */
export class OperationRegistry {
  readonly #operations: OperationSpec[] = [];
  #document: JsonSchema | undefined;

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

  /** The OpenAPI 3.1 document, built once every route is registered (on its first request). */
  document(version: string): JsonSchema {
    this.#document ??= openApiDocument(this.#operations, version);
    return this.#document;
  }
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

function errorStatuses(operation: OperationSpec): Partial<Record<ErrorStatus, string>> {
  const hasInput = operation.params ?? operation.query ?? operation.body;
  return {
    ...(hasInput ? { 400: 'Invalid input (see `details.issues`)' } : {}),
    ...(operation.access === 'read' ? { 401: 'Authentication required (anonymous reading is off)' } : {}),
    ...(operation.access === 'user' || operation.access === 'admin'
      ? { 401: 'Authentication required or token invalid' }
      : {}),
    ...(operation.access === 'admin' ? { 403: 'Administrators only' } : {}),
    ...(operation.body ? { 413: 'Request body too large' } : {}),
    // Every stored answer depends on the database; while it is down the server answers 503.
    ...(operation.access === 'public' ? {} : { 503: ERROR_DESCRIPTIONS[503] }),
    ...operation.errors,
  };
}

function operationObject(operation: OperationSpec) {
  const errorJson = { 'application/json': { schema: { $ref: `${COMPONENT_REF}Error` } } };
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
      ...(schema ? { content: { [mediaType]: { schema } } } : {}),
    };
  }
  for (const [status, description] of Object.entries(errorStatuses(operation))) {
    responses[status] = {
      description: description ?? ERROR_DESCRIPTIONS[Number(status) as ErrorStatus],
      content: errorJson,
    };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [operation.tag],
    ...(operation.access === 'user' || operation.access === 'admin' ? { security: [{ bearer: [] }] } : {}),
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

/** Fastify `/a/:b` → OpenAPI `/a/{b}`. */
export function openApiPath(path: string): string {
  let result = path;
  for (const name of pathParamNames(path)) result = result.replace(`:${name}`, `{${name}}`);
  return result;
}

/** The OpenAPI 3.1 document of the given operations, with every named schema in components. */
export function openApiDocument(operations: readonly OperationSpec[], version: string): JsonSchema {
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
      description:
        'Browse the Mega directory and its repositories, review merge requests, watch sync repositories. ' +
        'Authenticate with `Authorization: Bearer <token>`. Every error is `{"error":{"code","message","details"}}`.',
    },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
