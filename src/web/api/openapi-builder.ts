/**
 * Small helpers to write the OpenAPI 3.1 document by hand without repeating the same shapes:
 * query parameters, JSON responses and the shared error responses.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ParamSpec {
  readonly name: string;
  readonly in?: 'query' | 'path';
  readonly required?: boolean;
  readonly description: string;
  readonly schema?: JsonSchema;
}

export interface OperationSpec {
  readonly summary: string;
  readonly tag: string;
  readonly params?: readonly ParamSpec[];
  readonly body?: JsonSchema;
  readonly response: JsonSchema | 'raw';
  readonly auth?: 'read' | 'user' | 'admin';
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
export const str: JsonSchema = { type: 'string' };
export const int: JsonSchema = { type: 'integer' };
export const bool: JsonSchema = { type: 'boolean' };

export function object(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

const ERROR_RESPONSES = {
  '400': { description: 'Invalid input (bad path, revision or paging)', content: json(ref('Error')) },
  '401': { description: 'Authentication required or token invalid', content: json(ref('Error')) },
  '403': { description: 'Not allowed', content: json(ref('Error')) },
  '404': { description: 'Not found', content: json(ref('Error')) },
};

function json(schema: JsonSchema) {
  return { 'application/json': { schema } };
}

export function operation(spec: OperationSpec): JsonSchema {
  const success =
    spec.response === 'raw'
      ? {
          description: 'Raw bytes',
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        }
      : { description: 'OK', content: json(spec.response) };
  return {
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.auth && spec.auth !== 'read' ? { security: [{ bearer: [] }] } : {}),
    parameters: (spec.params ?? []).map((param) => ({
      name: param.name,
      in: param.in ?? 'query',
      required: param.required ?? param.in === 'path',
      description: param.description,
      schema: param.schema ?? str,
    })),
    ...(spec.body ? { requestBody: { required: true, content: json(spec.body) } } : {}),
    responses: { '200': success, ...ERROR_RESPONSES },
  };
}
