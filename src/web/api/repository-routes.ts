import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { utf8Boundary } from '../../repo/browse/bounded-read.js';
import type { RouteContext } from '../deps.js';
import {
  BlobSchema,
  CommitDetailSchema,
  CommitPageSchema,
  CompareSchema,
  DIFF_LIMITS_DESCRIPTION,
  RefListSchema,
  TreeSchema,
} from './api-schemas.js';
import { routesOf } from './operation.js';
import { offsetPage, offsetPaging, sendPage } from './pagination.js';
import { repoPathSchema, revisionSchema, treePathSchema } from './query.js';
import { openBrowser } from './repository-access.js';

const repo = repoPathSchema.describe('Repository path, e.g. /projects/foo');
const ref = revisionSchema.default('HEAD').describe('Branch, tag, full ref name or commit id (default HEAD)');
const path = treePathSchema.describe('Path inside the repository (empty = root)');
const RepoQuery = z.object({ repo });
const LogQuery = z.object({ repo, ref, path, ...offsetPaging() });
const AtPathQuery = z.object({ repo, ref, path });
const CommitQuery = z.object({ repo, id: revisionSchema.describe('Commit id or ref') });
const CompareQuery = z.object({
  repo,
  from: revisionSchema.describe('Base revision'),
  to: revisionSchema.describe('Head revision'),
});
/** What every code-browsing route may answer besides its result. */
const browseErrors = { 404: 'Repository, revision or path not found' } as const;

/**
 * Code browsing: refs, paged history, commit detail, trees, blobs (as JSON; raw in `raw-routes.ts`) and the diff
 * between two revisions. Every route takes the repository path in `repo` (it has any number of
 * segments) and a revision in `ref`, `id`, `from`, `to`.
 */
export async function repositoryRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'GET',
    path: '/api/v1/repos/refs',
    operationId: 'listRefs',
    tag: 'code',
    summary: 'Branches and tags',
    access: 'read',
    query: RepoQuery,
    responses: { 200: { description: 'The refs and the default branch', schema: RefListSchema } },
    errors: { 404: 'Repository not found' },
    handler: async (request) => {
      const browser = await openBrowser(ctx, await request.permissions(), request.query.repo);
      const { defaultBranch, refs } = await browser.refs();
      return { items: refs, defaultBranch };
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/commits',
    operationId: 'listCommits',
    tag: 'code',
    summary: 'Commit log, newest first, optionally of one path',
    access: 'read',
    query: LogQuery,
    responses: { 200: { description: 'One page of the log', schema: CommitPageSchema } },
    errors: browseErrors,
    handler: async (request, reply) => {
      const query = request.query;
      const browser = await openBrowser(ctx, await request.permissions(), query.repo);
      const position = { offset: query.cursor, limit: query.limit };
      const page = await browser.log({ revision: query.ref, path: query.path, ...position });
      return sendPage(request, reply, offsetPage(page.commits, position, { hasMore: page.hasMore }));
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/commit',
    operationId: 'getCommit',
    tag: 'code',
    summary: 'One commit with its diff to the first parent',
    description: DIFF_LIMITS_DESCRIPTION,
    access: 'read',
    query: CommitQuery,
    responses: { 200: { description: 'The commit and its diff', schema: CommitDetailSchema } },
    errors: { 404: 'Repository or commit not found' },
    handler: async (request) =>
      (await openBrowser(ctx, await request.permissions(), request.query.repo)).commit(request.query.id),
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/compare',
    operationId: 'compareRevisions',
    tag: 'code',
    summary: 'Diff between two revisions (per-file hunks, no rename detection)',
    description: DIFF_LIMITS_DESCRIPTION,
    access: 'read',
    query: CompareQuery,
    responses: { 200: { description: 'The diff from `from` to `to`', schema: CompareSchema } },
    errors: { 404: 'Repository or revision not found' },
    handler: async (request) => {
      const query = request.query;
      return (await openBrowser(ctx, await request.permissions(), query.repo)).compare(query.from, query.to);
    },
  });

  route({
    method: 'GET',
    path: '/api/v1/repos/tree',
    operationId: 'getTree',
    tag: 'code',
    summary: 'Directory listing at a revision',
    access: 'read',
    query: AtPathQuery,
    responses: { 200: { description: 'The entries of the directory', schema: TreeSchema } },
    errors: browseErrors,
    handler: async (request) => {
      const query = request.query;
      return (await openBrowser(ctx, await request.permissions(), query.repo)).tree(query.ref, query.path);
    },
  });

  // Display reads stop at `limits.maxDisplayBytes`: a bigger text file comes back as its first
  // bytes with `truncated: true` and its real `size`; the whole file is what `raw` streams.
  route({
    method: 'GET',
    path: '/api/v1/repos/blob',
    operationId: 'getBlob',
    tag: 'code',
    summary: 'File with metadata (text inlined up to the display limit)',
    access: 'read',
    query: AtPathQuery,
    responses: { 200: { description: 'The file', schema: BlobSchema } },
    errors: browseErrors,
    handler: async (request) => {
      const query = request.query;
      const { content, ...blob } = await (
        await openBrowser(ctx, await request.permissions(), query.repo)
      ).blob(query.ref, query.path);
      const text = blob.truncated ? utf8Boundary(content) : content;
      return { ...blob, ...(blob.binary ? {} : { content: text.toString('utf8') }) };
    },
  });
}
