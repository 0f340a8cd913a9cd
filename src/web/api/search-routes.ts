import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEFAULT_SEARCH_LIMIT, MAX_LINE_TEXT, MAX_SEARCH_LIMIT } from '../../repo/search/code-search.js';
import type { RouteContext } from '../deps.js';
import { components, routesOf } from './operation.js';

const flag = z.enum(['true', 'false']).optional();

const SearchQuerySchema = z.object({
  q: z
    .string()
    .min(1)
    .max(4096)
    .describe('A literal (default), or a regex with `regex=true`; at least 3 characters without `path`'),
  regex: flag.describe('true: `q` is a regex (JavaScript syntax, no backreferences or lookarounds)'),
  case: flag.describe('true: match case exactly (default: ASCII case-insensitive)'),
  path: z.string().max(4096).optional().describe('Only files at or under this path, e.g. /projects/foo/src'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SEARCH_LIMIT)
    .default(DEFAULT_SEARCH_LIMIT)
    .describe(`Matching lines returned, 1…${MAX_SEARCH_LIMIT}`),
});

const SearchResultSchema = z
  .object({
    items: z.array(
      z.object({
        repository: z.string().describe('The repository path (`/` for the Mega directory itself)'),
        path: z.string().describe('The file inside the repository'),
        line: z.number().describe('1-based line number'),
        text: z.string().describe(`The line, or ${MAX_LINE_TEXT} characters of it around the match`),
        highlight: z.array(z.number()).describe('[start, end) of the match inside `text`'),
      }),
    ),
    capped: z.boolean().describe('More matches may exist (the limit or the work budget was reached)'),
    cappedBy: z.enum(['limit', 'budget']).optional(),
  })
  .register(components, { id: 'SearchResult' });

/**
 * `GET /api/v1/search`: code search over the default branches of every repository the caller may
 * read (`src/repo/search`, docs/search.md). Hidden repositories and paths take no part at all.
 */
export async function searchRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const route = routesOf(app);
  route({
    method: 'GET',
    path: '/api/v1/search',
    operationId: 'searchCode',
    tag: 'search',
    summary: 'Search the files of every default branch (literal or regex, filtered by path)',
    access: 'read',
    query: SearchQuerySchema,
    responses: { 200: { description: 'Matching lines, in index order', schema: SearchResultSchema } },
    errors: {
      400: 'search_query_too_short, search_query_too_long, search_query_invalid, search_regex_invalid, search_regex_unsupported, search_regex_too_broad, search_path_invalid',
    },
    handler: async (request) => {
      const query = request.query;
      const result = await ctx.search.search(
        {
          q: query.q,
          regex: query.regex === 'true',
          caseSensitive: query.case === 'true',
          ...(query.path !== undefined ? { path: query.path } : {}),
          limit: query.limit,
        },
        await request.permissions(),
      );
      return {
        items: result.matches.map((match) => ({ ...match, highlight: [...match.highlight] })),
        capped: result.capped,
        ...(result.cappedBy ? { cappedBy: result.cappedBy } : {}),
      };
    },
  });
}
