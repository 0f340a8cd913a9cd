import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Readable } from 'node:stream';
import { utf8Boundary } from '../../repo/browse/bounded-read.js';
import type { RouteContext } from '../deps.js';
import { pagingSchema, parseQuery, repoPathSchema, revisionSchema, treePathSchema } from './query.js';
import { openBrowser } from './repository-access.js';

const RepoQuery = z.object({ repo: repoPathSchema });
const LogQuery = z.object({
  repo: repoPathSchema,
  ref: revisionSchema.default('HEAD'),
  path: treePathSchema,
  ...pagingSchema,
});
const AtPathQuery = z.object({
  repo: repoPathSchema,
  ref: revisionSchema.default('HEAD'),
  path: treePathSchema,
});
const CommitQuery = z.object({ repo: repoPathSchema, id: revisionSchema });
const CompareQuery = z.object({ repo: repoPathSchema, from: revisionSchema, to: revisionSchema });

/**
 * Code browsing: refs, paged history, commit detail, trees, blobs (as JSON and raw) and the diff
 * between two revisions. Every route takes the repository path in `repo` (it has any number of
 * segments) and a revision in `ref`, `id`, `from`, `to`.
 */
export async function repositoryRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get('/api/v1/repos/refs', async (request) => {
    const query = parseQuery(RepoQuery, request);
    return (await openBrowser(ctx, request.principal, query.repo)).refs();
  });

  app.get('/api/v1/repos/commits', async (request) => {
    const query = parseQuery(LogQuery, request);
    const browser = await openBrowser(ctx, request.principal, query.repo);
    const page = await browser.log({
      revision: query.ref,
      path: query.path,
      offset: (query.page - 1) * query.per_page,
      limit: query.per_page,
    });
    return { page: query.page, per_page: query.per_page, has_more: page.hasMore, commits: page.commits };
  });

  app.get('/api/v1/repos/commit', async (request) => {
    const query = parseQuery(CommitQuery, request);
    return (await openBrowser(ctx, request.principal, query.repo)).commit(query.id);
  });

  app.get('/api/v1/repos/compare', async (request) => {
    const query = parseQuery(CompareQuery, request);
    return (await openBrowser(ctx, request.principal, query.repo)).compare(query.from, query.to);
  });

  app.get('/api/v1/repos/tree', async (request) => {
    const query = parseQuery(AtPathQuery, request);
    return (await openBrowser(ctx, request.principal, query.repo)).tree(query.ref, query.path);
  });

  // Display reads stop at `limits.maxDisplayBytes`: a bigger text file comes back as its first
  // bytes with `truncated: true` and its real `size`; the whole file is what `raw` streams.
  app.get('/api/v1/repos/blob', async (request) => {
    const query = parseQuery(AtPathQuery, request);
    const { content, ...blob } = await (
      await openBrowser(ctx, request.principal, query.repo)
    ).blob(query.ref, query.path);
    const text = blob.truncated ? utf8Boundary(content) : content;
    return { ...blob, ...(blob.binary ? {} : { content: text.toString('utf8') }) };
  });

  // Streamed from storage in pieces (inflated while sent): memory stays flat whatever the size.
  app.get('/api/v1/repos/raw', async (request, reply) => {
    const query = parseQuery(AtPathQuery, request);
    const browser = await openBrowser(ctx, request.principal, query.repo);
    const blob = await browser.openBlob(query.ref, query.path);
    const name = blob.path.split('/').pop() ?? 'file';
    // Raw content is never rendered as a page of this origin: no sniffing, no scripts.
    void reply
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; sandbox")
      .header('ETag', `"${blob.id}"`)
      .header('Content-Length', blob.size)
      .type(blob.binary ? 'application/octet-stream' : 'text/plain; charset=utf-8');
    if (blob.binary)
      void reply.header('Content-Disposition', `attachment; filename="${asciiFileName(name)}"`);
    return reply.send(Readable.from(blob.content, { objectMode: false }));
  });
}

function asciiFileName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}
