import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';

/**
 * The API's conventions, checked on the whole OpenAPI document so that a new route cannot drift
 * from them: one naming style (camelCase), one list wrapper and pagination style
 * (`pagination.ts`), and query parameters that are declared or refused (`refuseUnknownQuery`).
 */

interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let document: Document;
let adminToken: string;

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, join(temp.path, 'data'));
  app = fixture.app;
  const root = await fixture.storage.users.createUser({ username: 'root', isAdmin: true });
  adminToken = (await fixture.storage.users.createToken(root.id, 't', { scopes: ['read', 'write', 'admin'] }))
    .token;
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

/** The value a local JSON pointer (`#/components/schemas/Commit`) names in the document. */
function resolvePointer(root: unknown, ref: string): unknown {
  let node = root;
  for (const key of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/**
 * Names kept for compatibility with another product's API, each with its reason: CI systems post
 * commit statuses in GitHub's shape (`target_url`), and we accept it next to our `targetUrl`.
 */
const COMPATIBILITY_NAMES = new Set(['post /api/v1/repos/statuses/{sha}: target_url']);

/** camelCase: a lower-case first letter, then letters and digits (an acronym is one word: `oldId`). */
const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

/** Every property name a JSON Schema declares, with where it was met (nested objects, arrays, unions). */
function propertyNames(
  node: unknown,
  where: string,
  out: Array<[string, string]> = [],
): Array<[string, string]> {
  if (Array.isArray(node)) node.forEach((item, index) => propertyNames(item, `${where}[${index}]`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && typeof value === 'object' && value !== null) {
        for (const [name, property] of Object.entries(value)) {
          out.push([name, where]);
          propertyNames(property, `${where}.${name}`, out);
        }
      } else propertyNames(value, where, out);
    }
  }
  return out;
}

describe('one naming style: camelCase JSON fields and query parameters', () => {
  it('every property of every schema, request body and response is camelCase', () => {
    const names = [
      ...propertyNames(document.components.schemas, '#/components/schemas'),
      ...operations().flatMap(({ method, path, operation }) =>
        propertyNames({ body: operation.requestBody, responses: operation.responses }, `${method} ${path}`),
      ),
    ];
    expect(names.length).toBeGreaterThan(100);
    const offending = names
      .filter(([name]) => !CAMEL_CASE.test(name))
      .map(([name, where]) => `${where}: ${name}`)
      .filter((entry) => !COMPATIBILITY_NAMES.has(entry));
    expect([...new Set(offending)]).toEqual([]);
  });

  it('every query and path parameter is camelCase', () => {
    const offending = operations().flatMap(({ method, path, operation }) =>
      (operation.parameters ?? [])
        .filter((parameter) => !CAMEL_CASE.test(parameter.name))
        .map((parameter) => `${method} ${path}: ${parameter.in} ${parameter.name}`),
    );
    expect(offending).toEqual([]);
  });

  it('the walk catches a snake_case field (the check itself works)', () => {
    const names = propertyNames(
      { properties: { ok: { type: 'object', properties: { bad_name: {} } } } },
      '#',
    );
    expect(names.filter(([name]) => !CAMEL_CASE.test(name))).toEqual([['bad_name', '#.ok']]);
  });
});

describe('one pagination style', () => {
  it('every list paged with `cursor` takes `limit`, answers the list wrapper and documents Link', () => {
    const paged = operations().filter(({ operation }) =>
      (operation.parameters ?? []).some((parameter) => parameter.name === 'cursor'),
    );
    expect(paged.map(({ operation }) => operation.operationId).sort()).toEqual([
      'getMergeRequestTimeline',
      'listBranches',
      'listCommits',
      'listGithubIssues',
      'listGithubPullRequests',
      'listMergeRequests',
      'listSyncLogs',
      'listSyncRepositories',
      'listTags',
      'listWebhookDeliveries',
    ]);
    for (const { operation } of paged) {
      const names = (operation.parameters ?? []).map((parameter) => parameter.name);
      expect(names, operation.operationId).toContain('limit');
      expect(names, operation.operationId).not.toContain('page');
      const ok = operation.responses['200'] as {
        headers?: Record<string, unknown>;
        content: Record<string, { schema: { $ref?: string; properties?: Record<string, unknown> } }>;
      };
      expect(ok.headers?.Link, operation.operationId).toBeDefined();
      let schema = ok.content['application/json']?.schema;
      if (schema?.$ref) schema = resolvePointer(document, schema.$ref) as typeof schema;
      expect(Object.keys(schema?.properties ?? {}), operation.operationId).toEqual(
        expect.arrayContaining(['items', 'nextCursor', 'prevCursor', 'total']),
      );
    }
  });
});

/**
 * Lists answered whole, as `{items}` without cursors, each with why it stays small: a page of
 * them would only make every client loop for nothing. Anything else that answers a list pages.
 */
const WHOLE_LISTS: Readonly<Record<string, string>> = {
  listTokens: "one user's tokens, each made by hand",
  listGroups: 'groups are made by administrators, a few per team',
  listGrants: 'the grants under one path, made by its administrators',
  listProtectedBranches: "one repository's branch patterns, made by its administrators",
  listSyncTenants: "the caller's sync tenants (every tenant for an administrator): made by hand",
  listSyncCredentials: "one tenant's credentials, made by hand",
  listSshKeys: "one user's SSH keys, each added by hand",
  listDeployKeys: 'the deploy keys of one path, each added by its administrators',
  listGithubLinks: 'one link per /import repository made by an administrator or a sync repository',
  listWebhooks: 'the webhooks of the paths the caller administers, made by hand',
  listCommitStatuses: "one commit's latest status per CI context: as many as the CI jobs",
  listMergeRequestApprovals: 'one approval per reviewer of a merge request',
  listDiscussions: "one merge request's threads, with the `unresolved` count the page shows",
  listMergeRequestCommits: 'bounded: the newest 1,000 commits of a push, with `truncated`',
  listRefs:
    "the revision picker's whole list, one row per ref from one query; the branches and tags pages page",
  searchCode: 'bounded by `limit` (≤ 200) and a work budget, with `capped`; a search is not resumable',
};

/**
 * Arrays inside a single resource's answer (not collections of their own), each with why: they
 * are the resource's content, bounded by it, and are not lists to page through.
 */
const PARTS_OF_A_RESOURCE: Readonly<Record<string, string>> = {
  'getDirectory.entries': 'a directory of the Mega tree, like a git tree object',
  'getGithubIssue.comments': "an issue's conversation as GitHub holds it, shown with it",
  'getGithubPullRequest.comments': "a pull request's conversation as GitHub holds it, shown with it",
  'getTree.entries': "a git tree object's entries",
  'getTreeInfo.entries': "the same tree's entries with their last commit and size",
  'getCommit.parents': "a commit's parents",
  'getBlame.ranges': 'the blame of one file (≤ 1 MiB), line ranges in order',
  'compareCommits.commits': 'a compare page: ≤ 250 commits with `truncated`, next to its merge base',
  'getCurrentUser.scopes': "the token's scopes",
  'getSyncRepository.branches': 'the branches a sync repository follows (its settings)',
  'getSyncRequest.results': "one sync request's per-repository outcomes",
  'getMergeStatus.blockers': 'the gates refusing the merge',
  'getMergeStatus.codeOwners': "the touched paths' owners",
  'getMergeStatus.checks': 'the required checks',
  'getMergeStatus.warnings': 'the merge warnings',
  'getCombinedCommitStatus.statuses': "GitHub's combined-status shape: the state with every context",
  'getWebhook.events': "the webhook's subscribed events",
  'getMergeRequest.changes': "the merge request's repositories",
  'getMergeRequest.events': 'its recent events (the full timeline pages: getMergeRequestTimeline)',
  'getMergeRequest.diffs': 'one diff per repository, each bounded (docs: diff limits)',
};

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema };

describe('one list wrapper', () => {
  it('every GET answering a list answers {items…}: paged when it can grow, whole when small', () => {
    const resolve = (schema: Schema | undefined): Schema | undefined =>
      schema?.$ref ? resolve(resolvePointer(document, schema.$ref) as Schema) : schema;
    const whole: string[] = [];
    const parts: string[] = [];
    const bare: string[] = [];
    const unwrapped: string[] = [];
    for (const { method, operation } of operations()) {
      if (method !== 'get') continue;
      const ok = operation.responses['200'] as { content?: Record<string, { schema?: Schema }> } | undefined;
      const schema = resolve(ok?.content?.['application/json']?.schema);
      if (!schema) continue;
      if (schema.type === 'array') bare.push(operation.operationId);
      const arrays = Object.entries(schema.properties ?? {}).filter(
        ([, property]) => resolve(property)?.type === 'array',
      );
      const hasItems = arrays.some(([name]) => name === 'items');
      if (operation.operationId.startsWith('list') && !hasItems) unwrapped.push(operation.operationId);
      const paged = (operation.parameters ?? []).some((parameter) => parameter.name === 'cursor');
      if (hasItems && !paged) whole.push(operation.operationId);
      for (const [name] of arrays) if (name !== 'items') parts.push(`${operation.operationId}.${name}`);
    }
    expect(bare, 'bare arrays').toEqual([]);
    expect(unwrapped, 'list operations without {items}').toEqual([]);
    expect(whole.sort(), 'lists answered whole: say why in WHOLE_LISTS').toEqual(
      Object.keys(WHOLE_LISTS).sort(),
    );
    expect(parts.sort(), 'arrays inside a resource: say why in PARTS_OF_A_RESOURCE').toEqual(
      Object.keys(PARTS_OF_A_RESOURCE).sort(),
    );
  });
});

/** Path parameter values that pass the routes' path schemas (the resources need not exist). */
const PATH_VALUES: Readonly<Record<string, string>> = { tenant: 'acme', sha: '0'.repeat(40), name: 'team' };

describe('no unknown query parameter is ignored', () => {
  it('every declared operation refuses one with 400 query_invalid naming it', async () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(60);
    const answers = await Promise.all(
      all.map(async ({ method, path, operation }) => {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => PATH_VALUES[name] ?? '1');
        // Legal values of the operation's own parameters do not hide the unknown one.
        const response = await app.inject({
          method: method.toUpperCase() as 'GET',
          url: `${url}?limit=5&perPage=10`,
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const body = response.json<{ code?: string; issues?: string[] }>();
        return {
          id: operation.operationId,
          status: response.statusCode,
          code: body.code,
          issues: body.issues,
        };
      }),
    );
    for (const answer of answers) {
      expect(answer, answer.id).toMatchObject({
        status: 400,
        code: 'query_invalid',
        issues: expect.arrayContaining(['perPage: unknown parameter']),
      });
      // `limit` is named only where the operation does not take it.
      const paged = all.find(({ operation }) => operation.operationId === answer.id)?.operation.parameters;
      const takesLimit = (paged ?? []).some((parameter) => parameter.name === 'limit');
      expect(answer.issues?.includes('limit: unknown parameter'), answer.id).toBe(!takesLimit);
    }
  });

  it("an old client's page/per_page is refused, not answered with the first page", async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/merge-requests?page=2&per_page=50' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      code: 'query_invalid',
      issues: ['page: unknown parameter', 'per_page: unknown parameter'],
    });
    expect(response.json<{ detail: string }>().detail).toContain('cursor');
  });

  it('names a long or hostile parameter cut short, and at most ten of them', async () => {
    const many = Array.from({ length: 30 }, (_, index) => `x${index}=1`).join('&');
    const long = 'p'.repeat(5000);
    const response = await app.inject({ method: 'GET', url: `/api/openapi.json?${long}=1&${many}` });
    expect(response.statusCode).toBe(400);
    const issues = response.json<{ issues: string[] }>().issues;
    expect(issues).toHaveLength(10);
    expect(issues[0]).toBe(`${'p'.repeat(64)}…: unknown parameter`);
    for (const name of ['__proto__', 'constructor']) {
      const hostile = await app.inject({ method: 'GET', url: `/api/v1/merge-requests?${name}=1` });
      expect(hostile.statusCode, name).toBe(400);
    }
  });

  it('known parameters alone still pass', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/merge-requests?limit=5&status=open' });
    expect(response.statusCode).toBe(200);
  });
});
