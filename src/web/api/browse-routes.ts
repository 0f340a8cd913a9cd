import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_REF_FILTER_LENGTH } from '../../repo/browse/ref-summary.js';
import type { RouteContext } from '../deps.js';
import { CommitSchema } from './api-schemas.js';
import { components, routesOf } from './operation.js';
import { offsetPage, offsetPaging, pageSchema, sendPage } from './pagination.js';
import { repoPathSchema, revisionSchema, treePathSchema } from './query.js';
import { openBrowser } from './repository-access.js';

function named<T extends z.ZodType>(id: string, schema: T): T {
  components.add(schema, { id });
  return schema;
}

const Person = z.object({
  name: z.string(),
  email: z.string(),
  timestamp: z.int().describe('Seconds since the epoch'),
  timezone: z.string(),
});
const CommitBrief = named(
  'CommitBrief',
  z.object({ id: z.string(), title: z.string(), author: Person, committer: Person }),
);
const BlameSchema = named(
  'Blame',
  z.object({
    commit: z.string(),
    path: z.string(),
    lines: z.int(),
    ranges: z.array(
      z.object({
        start: z.int().describe('1-based first line'),
        count: z.int(),
        commit: z.string(),
        sourceStart: z.int().describe("Line of `start` in that commit's version"),
        bounded: z.boolean().optional().describe('The walk stopped before finding the true origin'),
      }),
    ),
    commits: z.record(z.string(), z.object({ id: z.string(), title: z.string(), author: Person })),
    walked: z.int().describe('Commits examined'),
    truncated: z.boolean().describe('A bound (commits walked, file size) cut the walk short'),
  }),
);
const BranchPageSchema = named(
  'BranchPage',
  pageSchema(
    z.object({
      name: z.string(),
      ref: z.string(),
      isDefault: z.boolean(),
      commit: CommitBrief,
      ahead: z.int().optional(),
      behind: z.int().optional(),
      exact: z.boolean().optional().describe('False when the count stopped at its bound (show "n+")'),
    }),
  ).extend({ defaultBranch: z.string().nullable() }),
);
const TagPageSchema = named(
  'TagPage',
  pageSchema(
    z.object({
      name: z.string(),
      ref: z.string(),
      target: z.string(),
      annotated: z.boolean(),
      commit: CommitBrief.optional(),
      tagger: Person.optional(),
      message: z.string().optional(),
      date: z.int().optional(),
    }),
  ),
);
const TreeInfoSchema = named(
  'TreeInfo',
  z.object({
    commit: z.string(),
    path: z.string(),
    complete: z.boolean().describe('False when the walk bound left some entries without a last commit'),
    walked: z.int(),
    entries: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(['tree', 'blob', 'symlink', 'gitlink']),
        size: z.int().optional(),
        lastCommit: CommitBrief.optional(),
      }),
    ),
  }),
);

const CompareCommitsSchema = named(
  'CompareCommits',
  z.object({
    base: z.string(),
    head: z.string(),
    mergeBase: z.string().nullable().describe('Where a base...head diff starts; null when unrelated'),
    truncated: z.boolean().describe('More commits than listed (250), or the walk stopped at its bound'),
    commits: z.array(CommitSchema).describe('In head and not in base, newest first'),
  }),
);

const repo = repoPathSchema.describe('Repository path, e.g. /projects/foo');
const ref = revisionSchema.default('HEAD').describe('Branch, tag, full ref name or commit id (default HEAD)');
const path = treePathSchema.describe('Path inside the repository (empty = root)');
const RefPageQuery = z.object({
  repo,
  q: z.string().max(MAX_REF_FILTER_LENGTH).default('').describe('Case-insensitive substring of the name'),
  ...offsetPaging(),
});
const browseErrors = { 404: 'Repository, revision or path not found' } as const;

/**
 * Code reading beyond `repository-routes.ts`: blame, the branch and tag pages (the cheap full
 * list for pickers stays `listRefs`) and each tree entry's size and last commit.
 */
export async function browseRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'GET',
    path: '/api/v1/repos/blame',
    operationId: 'getBlame',
    tag: 'code',
    summary: 'Who last changed each line of a file (bounded walk, flagged when cut short)',
    access: 'read',
    query: z.object({ repo, ref, path: treePathSchema.describe('Path of the file') }),
    responses: { 200: { description: 'Line ranges with their commit', schema: BlameSchema } },
    errors: { ...browseErrors, 413: 'File too large to blame' },
    handler: async (request) => {
      const query = request.query;
      return (await openBrowser(ctx, await request.permissions(), query.repo)).blame(query.ref, query.path);
    },
  });

  /** The slice of a filtered ref listing a page asks for. */
  const windowOf = (query: { q?: string; cursor: number; limit: number }) => ({
    filter: query.q,
    offset: query.cursor,
    limit: query.limit,
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/branches',
    operationId: 'listBranches',
    tag: 'code',
    summary: 'Branches with last commit and ahead/behind the default branch',
    access: 'read',
    query: RefPageQuery,
    responses: { 200: { description: 'One page of branches', schema: BranchPageSchema } },
    errors: { 404: 'Repository not found' },
    handler: async (request, reply) => {
      const query = request.query;
      const browser = await openBrowser(ctx, await request.permissions(), query.repo);
      const window = windowOf(query);
      const found = await browser.branches(window);
      return sendPage(request, reply, offsetPage(found.items, window, found), {
        defaultBranch: (await browser.refs()).defaultBranch ?? null,
      });
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/tags',
    operationId: 'listTags',
    tag: 'code',
    summary: 'Tags with their target and date, newest version first',
    access: 'read',
    query: RefPageQuery,
    responses: { 200: { description: 'One page of tags', schema: TagPageSchema } },
    errors: { 404: 'Repository not found' },
    handler: async (request, reply) => {
      const query = request.query;
      const browser = await openBrowser(ctx, await request.permissions(), query.repo);
      const window = windowOf(query);
      const found = await browser.tags(window);
      return sendPage(request, reply, offsetPage(found.items, window, found));
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/compare-commits',
    operationId: 'compareCommits',
    tag: 'code',
    summary: 'Commits of a base...head comparison and their merge base',
    access: 'read',
    query: z.object({
      repo,
      base: revisionSchema.describe('Base revision'),
      head: revisionSchema.describe('Head revision'),
    }),
    responses: { 200: { description: 'The commits and the merge base', schema: CompareCommitsSchema } },
    errors: { 404: 'Repository or revision not found' },
    handler: async (request) => {
      const query = request.query;
      return (await openBrowser(ctx, await request.permissions(), query.repo)).compareCommits(
        query.base,
        query.head,
      );
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/tree-info',
    operationId: 'getTreeInfo',
    tag: 'code',
    summary: "Each directory entry's size and last commit (bounded walk, cached per commit and path)",
    access: 'read',
    query: z.object({ repo, ref, path }),
    responses: { 200: { description: 'The entries with size and last commit', schema: TreeInfoSchema } },
    errors: browseErrors,
    handler: async (request) => {
      const query = request.query;
      return (await openBrowser(ctx, await request.permissions(), query.repo)).treeInfo(
        query.ref,
        query.path,
      );
    },
  });
}
