import { arrayOf, object, operation, ref, str, type JsonSchema, type ParamSpec } from './openapi-builder.js';
import { AREA_PATHS, AREA_SCHEMAS } from './openapi-areas.js';
import { SCHEMAS } from './openapi-schemas.js';
import { MAX_PAGE, MAX_PER_PAGE } from './query.js';

const repo: ParamSpec = { name: 'repo', required: true, description: 'Repository path, e.g. /projects/foo' };
const revision: ParamSpec = {
  name: 'ref',
  description: 'Branch, tag, full ref name or commit id (default HEAD)',
};
const path: ParamSpec = { name: 'path', description: 'Path inside the repository (empty = root)' };
const paging: ParamSpec[] = [
  { name: 'page', description: '1-based page', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE } },
  {
    name: 'per_page',
    description: 'Items per page',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: 30 },
  },
];

/** Operations by path and method; other areas' routes are listed here too, so one document covers the API. */
export const API_PATHS: Record<string, Record<string, JsonSchema>> = {
  '/api/v1/directory': {
    get: operation({
      tag: 'directory',
      summary:
        'The Mega directory at a path: entries (b-links shown as repositories), clone URL and clone rule',
      params: [{ name: 'path', description: 'Directory path, default /' }],
      response: ref('Directory'),
    }),
  },
  '/api/v1/repos/refs': {
    get: operation({ tag: 'code', summary: 'Branches and tags', params: [repo], response: ref('RefList') }),
  },
  '/api/v1/repos/commits': {
    get: operation({
      tag: 'code',
      summary: 'Commit log, newest first, optionally of one path',
      params: [repo, revision, path, ...paging],
      response: ref('CommitPage'),
    }),
  },
  '/api/v1/repos/commit': {
    get: operation({
      tag: 'code',
      summary: 'One commit with its diff to the first parent',
      params: [repo, { name: 'id', required: true, description: 'Commit id or ref' }],
      response: ref('CommitDetail'),
    }),
  },
  '/api/v1/repos/compare': {
    get: operation({
      tag: 'code',
      summary: 'Diff between two revisions (per-file hunks, no rename detection)',
      params: [
        repo,
        { name: 'from', required: true, description: 'Base revision' },
        { name: 'to', required: true, description: 'Head revision' },
      ],
      response: ref('Compare'),
    }),
  },
  '/api/v1/repos/tree': {
    get: operation({
      tag: 'code',
      summary: 'Directory listing at a revision',
      params: [repo, revision, path],
      response: ref('Tree'),
    }),
  },
  '/api/v1/repos/blob': {
    get: operation({
      tag: 'code',
      summary: 'File with metadata (text inlined up to the display limit)',
      params: [repo, revision, path],
      response: ref('Blob'),
    }),
  },
  '/api/v1/user': {
    get: operation({ tag: 'tokens', summary: 'The signed-in user', auth: 'user', response: ref('User') }),
  },
  '/api/v1/user/tokens': {
    get: operation({
      tag: 'tokens',
      summary: "The signed-in user's access tokens (never their plaintext)",
      auth: 'user',
      response: object({ tokens: arrayOf(ref('TokenInfo')) }),
    }),
    post: operation({
      tag: 'tokens',
      summary: 'Create a token; the plaintext is in this response only',
      auth: 'user',
      body: object({ name: str, expires_at: { type: 'string', format: 'date-time' } }, ['name']),
      response: object({ token: str, info: ref('TokenInfo') }),
    }),
  },
  '/api/v1/user/tokens/{id}': {
    delete: operation({
      tag: 'tokens',
      summary: 'Revoke one of your tokens',
      auth: 'user',
      params: [{ name: 'id', in: 'path', description: 'Token id', schema: { type: 'integer' } }],
      response: { type: 'null' },
    }),
  },
  '/api/v1/repos/raw': {
    get: operation({
      tag: 'code',
      summary: 'Raw file bytes, streamed whole whatever the size',
      params: [repo, revision, path],
      response: 'raw',
    }),
  },
};

/** The OpenAPI 3.1 document served at `/api/openapi.json`. */
export function openApiDocument(version: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mega REST API',
      version,
      description:
        'Browse the Mega directory and its repositories, review merge requests, watch sync repositories. ' +
        'Authenticate with `Authorization: Bearer <token>`. Every error is `{"error":{"code","message","details"}}`.',
    },
    components: {
      schemas: { ...SCHEMAS, ...AREA_SCHEMAS },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    paths: { ...API_PATHS, ...AREA_PATHS },
  };
}
