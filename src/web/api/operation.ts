import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalid } from '../../platform/errors.js';
import { requireAdmin, requireUser } from '../../access/principal.js';
import { parseInput } from './query.js';

/**
 * One REST operation, declared once: method, path, zod inputs, responses per status, and its
 * documentation. `route()` registers it with Fastify (the zod schemas are the validators) and the
 * OpenAPI document (`openapi.ts`) is generated from the same declarations, so they cannot drift.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call: `public` anyone; `read` anyone, the handler answering only with what the caller
 * may read (`request.permissions()`: hidden paths are 404, lists filtered); `user` a token;
 * `admin` an administrator's token (with the admin scope). Checked before the input is validated.
 */
export type Access = 'public' | 'read' | 'user' | 'admin';

/** Error statuses a route answers with the project's error body (`ErrorBody`). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

export interface SuccessResponse {
  readonly description: string;
  /** JSON body; absent with a non-JSON `mediaType` (raw bytes, a page) or for 204. */
  readonly schema?: z.ZodType;
  readonly mediaType?: string;
}

type InputObject = z.ZodObject;
type Output<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface OperationSpec<
  P extends InputObject | undefined = InputObject | undefined,
  Q extends InputObject | undefined = InputObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly method: HttpMethod;
  /** Fastify form: `/api/v1/merge-requests/:number`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /** Longer Markdown text for the document: limits, truncation, what a status means here. */
  readonly description?: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly responses: Readonly<Partial<Record<200 | 201 | 202 | 204, SuccessResponse>>>;
  /**
   * Route-specific errors (404, 409, a 403 of the route's own rules …). The statuses every route
   * of a kind can answer are derived by `openapi.ts` (`derivedErrors`), not declared here: 400
   * (inputs), 401/403 (access, a cross-origin write), 413/415 (bodies), 429 (failed
   * authentications), 503 (database).
   */
  readonly errors?: Readonly<Partial<Record<ErrorStatus, string>>>;
}

export type OperationRequest<P, Q, B> = FastifyRequest<{
  Params: Output<P>;
  Querystring: Output<Q>;
  Body: Output<B>;
}>;

export interface RouteSpec<
  P extends InputObject | undefined,
  Q extends InputObject | undefined,
  B extends z.ZodType | undefined,
> extends OperationSpec<P, Q, B> {
  readonly handler: (request: OperationRequest<P, Q, B>, reply: FastifyReply) => Promise<unknown>;
}

/** Component schemas of the document: a zod schema registered here is referenced by name. */
export const components = z.registry<{ id: string }>();

/**
 * The one error shape of every non-git, non-LFS endpoint: an RFC 9457 problem
 * (`application/problem+json`) with the stable `code` and the error's details as extension
 * members (`error-handler.ts` writes it).
 */
export const ProblemSchema = z
  .looseObject({
    type: z
      .string()
      .describe('URI of the problem type: the documentation of `code` (`/api/docs#error-<code>`)'),
    title: z.string().describe("The HTTP status's reason phrase"),
    status: z.int().describe('The HTTP status code'),
    detail: z.string().describe('What went wrong, for people'),
    instance: z.string().describe('The request path (without the query)'),
    code: z.string().describe('Stable machine-readable code'),
    issues: z.array(z.string()).optional().describe('The invalid inputs (`*_invalid` codes)'),
  })
  .describe(
    'RFC 9457 problem details. Other members are the details of the error (`allowed`, `retryAfter` …); ' +
      'one named like a standard member is given under `details`.',
  )
  .register(components, { id: 'Problem' });

/** The error body as handlers and the error handler build it. */
export type Problem = z.infer<typeof ProblemSchema>;

const INPUT_PART = { params: 'path', querystring: 'query', body: 'body' } as const;

/**
 * Fastify validator of one request part from its zod schema. Failures are the same MegaErrors
 * (`path_invalid`, `query_invalid`, `body_invalid` with the issues) the handlers threw before.
 */
function zodValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const what = INPUT_PART[httpPart as keyof typeof INPUT_PART] ?? 'query';
  return (value: unknown) => {
    // A JSON body must be an object: null, arrays and scalars are refused, not read as empty.
    if (what === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      return { error: invalid('body_invalid', 'the request body must be a JSON object') };
    }
    try {
      return { value: parseInput(schema as z.ZodType, value, what) };
    } catch (error) {
      return { error: error as Error };
    }
  };
}

function checkAccess(access: Access) {
  return async (request: FastifyRequest) => {
    if (access === 'user') requireUser(request.principal);
    else if (access === 'admin') requireAdmin(request.principal);
  };
}

/** Unknown parameter names named in one error, each cut to this length (they are echoed back). */
const MAX_UNKNOWN_NAMED = 10;
const MAX_NAME_SHOWN = 64;

/**
 * Refuses a query parameter the operation does not declare (an old client's `page=2` or
 * `per_page`, a misspelt `limt`) with 400 `query_invalid` naming it: ignored, it would answer the
 * first page as if it were the one asked for. Runs before the inputs are validated (Fastify checks
 * the body before the query), so the answer is the same whatever else the request holds. Only
 * declared operations get this: git smart HTTP and LFS (`?service=git-upload-pack`) are routed
 * elsewhere.
 */
export function refuseUnknownQuery(query: InputObject | undefined) {
  const known = new Set(Object.keys(query?.shape ?? {}));
  return async (request: FastifyRequest) => {
    const unknown = Object.keys((request.query ?? {}) as object).filter((name) => !known.has(name));
    if (unknown.length === 0) return;
    const shown = (name: string) =>
      name.length > MAX_NAME_SHOWN ? `${name.slice(0, MAX_NAME_SHOWN)}…` : name;
    const issues = unknown.slice(0, MAX_UNKNOWN_NAMED).map((name) => `${shown(name)}: unknown parameter`);
    const accepted = known.size > 0 ? `accepted: ${[...known].join(', ')}` : 'this operation takes none';
    throw invalid('query_invalid', `unknown query parameter (${accepted})`, { issues });
  };
}

/** The path parameters a Fastify path names (`:tenant`, `:id`). */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1] as string);
}

/**
 * Registers declared operations on `app`: `route({ method, path, …, handler })`. The declaration
 * (without the handler) rides along in the route's config, where the server's operation registry
 * collects it for the OpenAPI document.
 */
export function routesOf(app: FastifyInstance) {
  return function route<
    P extends InputObject | undefined = undefined,
    Q extends InputObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(spec: RouteSpec<P, Q, B>): void {
    const { handler, ...operation } = spec;
    const declared = Object.keys(spec.params?.shape ?? {}).sort();
    const named = pathParamNames(spec.path).sort();
    if (declared.join() !== named.join()) {
      throw new Error(
        `${spec.operationId}: path parameters ${named.join()} but params schema ${declared.join()}`,
      );
    }
    app.route({
      method: spec.method,
      url: spec.path,
      schema: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.query ? { querystring: spec.query } : {}),
        ...(spec.body ? { body: spec.body } : {}),
      },
      validatorCompiler: zodValidator,
      config: { operation },
      preValidation: [checkAccess(spec.access), refuseUnknownQuery(spec.query)],
      handler: handler as (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    });
  };
}

/** The operation a route was declared with (`routesOf`), if any. */
export function operationOf(config: unknown): OperationSpec | undefined {
  return (config as { operation?: OperationSpec } | undefined)?.operation;
}

/** Methods whose requests pass the CSRF guard (`same-origin.ts`): JSON bodies, same origin. */
const STATE_CHANGING: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Joins a derived and a declared description of the same status, the declared one first. */
function both(declared: string | undefined, derived: string): string {
  return declared ? `${declared}; or ${derived.charAt(0).toLowerCase()}${derived.slice(1)}` : derived;
}

/**
 * Every error status `operation` can answer, with what it means there: the ones the server's
 * machinery gives every route of its kind, derived here from the declaration so that no route
 * has to repeat them, merged with the route's own `errors`.
 * - 400: every route refuses an unknown query parameter (`query_invalid`, `refuseUnknownQuery`), and
 *   one with inputs invalid ones (`path_invalid`, `query_invalid`, `body_invalid`).
 * - 401: a presented token that is invalid is refused on every route (`auth.ts`), public or not.
 * - 403: administrators only (`admin`), and a cross-origin request that changes state
 *   (`origin_forbidden`, `same-origin.ts`).
 * - 413, 415: a route with a body refuses one too large or not `application/json`.
 * - 429: failed authentications from one address are limited (`auth_rate_limited`), on any route.
 * - 503: answers come from the database (and a presented token is looked up there).
 */
export function answeredErrors(operation: OperationSpec): Partial<Record<ErrorStatus, string>> {
  const declared = operation.errors ?? {};
  const derived: Partial<Record<ErrorStatus, string>> = {};
  derived[400] =
    (operation.params ?? operation.query ?? operation.body)
      ? 'Invalid input (`path_invalid`, `query_invalid`, `body_invalid`, an unknown query parameter; see `issues`)'
      : 'An unknown query parameter (`query_invalid`; this operation takes none)';
  derived[401] = {
    public: 'A presented token is invalid, expired or revoked (`token_invalid`)',
    read: 'Authentication required (anonymous reading is off), or a presented token is invalid',
    user: 'Authentication required, or the token is invalid',
    admin: 'Authentication required, or the token is invalid',
  }[operation.access];
  const forbidden = [
    ...(operation.access === 'admin' ? ['Administrators only'] : []),
    ...(STATE_CHANGING.has(operation.method) ? ['A cross-origin request (`origin_forbidden`)'] : []),
  ];
  if (forbidden.length > 0) derived[403] = forbidden.join('; or ');
  if (operation.body) {
    derived[413] = 'Request body too large (`request_too_large`)';
    derived[415] = 'The body is not `application/json` (`unsupported_media_type`)';
  }
  derived[429] =
    'Too many failed authentications from this address (`auth_rate_limited`); retry after `Retry-After`';
  derived[503] = 'Temporarily unavailable (database down, storage full); retry after `Retry-After`';
  const statuses = new Set([...Object.keys(derived), ...Object.keys(declared)].map(Number) as ErrorStatus[]);
  return Object.fromEntries(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => {
        const own = declared[status];
        const generic = derived[status];
        return [status, generic === undefined ? own : both(own, generic)];
      }),
  );
}
